import { decodeProgram, EbpfDecodeError } from "../ebpf/decode.ts";
import type { Insn } from "../ebpf/instruction.ts";
import { INSN_BYTES } from "../ebpf/opcode.ts";
import { STB, STT } from "./elf-constants.ts";
import type { ElfFile } from "./elf-file.ts";
import { elfError } from "./errors.ts";
import type { ObjectLayout } from "./object-layout.ts";
import type { ElfSection } from "./section-table.ts";

// One function as it sits in its ELF section, before linking: every STT_FUNC
// symbol in an executable section (libbpf's bpf_object__add_programs).
export interface ProgramSource {
  readonly name: string;
  readonly section: ElfSection;
  readonly firstSlot: number; // slot index of its first instruction within the section
  readonly insns: readonly Insn[];
  readonly isSubprogram: boolean; // lives in .text and the object has other programs
}

export function readProgramSources(elf: ElfFile, layout: ObjectLayout): ProgramSource[] {
  const found: Omit<ProgramSource, "isSubprogram">[] = [];
  for (const section of layout.code) {
    for (const symbol of elf.symbolTable.symbols) {
      if (symbol.sectionIndex !== section.index || symbol.type !== STT.FUNC) continue;
      const where = { file: elf.fileName, section: section.name, offset: section.offset + symbol.value };
      if (symbol.size === 0 || symbol.size % INSN_BYTES !== 0 || symbol.value % INSN_BYTES !== 0) {
        throw elfError(where, `function '${symbol.name}' spans ${symbol.size} bytes at offset ${symbol.value}, expected a non-empty whole number of 8-byte instructions`);
      }
      if (symbol.value + symbol.size > section.size) {
        throw elfError(where, `function '${symbol.name}' ends at offset ${symbol.value + symbol.size}, past the ${section.size}-byte section`);
      }
      if (section !== layout.text && symbol.bind === STB.LOCAL) {
        throw elfError(where, `program '${symbol.name}' is static, expected a global function (libbpf does not load static programs)`);
      }
      if (symbol.name === "") throw elfError(where, `function symbol ${symbol.index} has no name`);
      const insns = decodeFunction(elf, section, symbol.name, section.offset + symbol.value, symbol.size);
      found.push({ name: symbol.name, section, firstSlot: symbol.value / INSN_BYTES, insns });
    }
  }
  found.sort((a, b) => a.section.index - b.section.index || a.firstSlot - b.firstSlot);
  return found.map((p) => ({ ...p, isSubprogram: p.section === layout.text && found.length > 1 }));
}

function decodeFunction(elf: ElfFile, section: ElfSection, name: string, start: number, bytes: number): readonly Insn[] {
  try {
    return decodeProgram(elf.bytes.subarray(start, start + bytes), { littleEndian: elf.littleEndian });
  } catch (failure) {
    if (!(failure instanceof EbpfDecodeError)) throw failure;
    throw elfError(
      { file: elf.fileName, section: section.name, offset: start + failure.byteOffset },
      `instruction ${failure.pc} of function '${name}' is invalid: ${failure.reason}`,
    );
  }
}

// The function of `section` whose instructions include slot `slot`, by binary
// search over the (section, first slot) order (libbpf's find_prog_by_sec_insn).
export function functionAt(sources: readonly ProgramSource[], section: ElfSection, slot: number): ProgramSource | undefined {
  let [low, high] = [0, sources.length - 1];
  if (high < 0) return undefined;
  while (low < high) {
    const mid = low + Math.ceil((high - low) / 2);
    const p = sources[mid];
    if (p.section.index < section.index || (p.section.index === section.index && p.firstSlot <= slot)) low = mid;
    else high = mid - 1;
  }
  const p = sources[low];
  return p.section === section && slot >= p.firstSlot && slot < p.firstSlot + p.insns.length ? p : undefined;
}
