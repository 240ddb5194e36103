import { INSN_BYTES, JmpOp, Class, LDDW, PseudoCall } from "../ebpf/opcode.ts";
import type { Relocation, RelocationTarget } from "./bpf-object.ts";
import { relocationTypeName, SHF, SHN, STB, STT } from "./elf-constants.ts";
import type { ElfFile } from "./elf-file.ts";
import { elfError } from "./errors.ts";
import type { ObjectLayout } from "./object-layout.ts";
import type { PlacedMap } from "./placed-map.ts";
import { functionAt, type ProgramSource } from "./program-sources.ts";
import type { ElfSymbol } from "./symbol-table.ts";

// What one relocation of program code asks for, in the frame of the function
// that holds the patched instruction (libbpf's struct reloc_desc).
export type CodeRelocation =
  | { readonly kind: "call"; readonly slot: number; readonly symbolOffset: number }
  | { readonly kind: "func-addr"; readonly slot: number; readonly symbolOffset: number }
  | { readonly kind: "map"; readonly slot: number; readonly mapIndex: number }
  | { readonly kind: "data"; readonly slot: number; readonly mapIndex: number; readonly symbolOffset: number }
  | { readonly kind: "kfunc" | "ksym"; readonly slot: number; readonly name: string };

export interface CodeRelocations {
  readonly byFunction: ReadonlyMap<ProgramSource, readonly CodeRelocation[]>;
  readonly records: readonly Relocation[];
}

const CALL = Class.JMP | JmpOp.CALL;

const isExtern = (s: ElfSymbol): boolean =>
  s.sectionIndex === SHN.UNDEF && (s.bind === STB.GLOBAL || s.bind === STB.WEAK) && s.type === STT.NOTYPE;

// Reads the relocations of every executable section (libbpf's
// bpf_object__collect_prog_relos + bpf_program__record_reloc).
export function collectCodeRelocations(
  elf: ElfFile,
  layout: ObjectLayout,
  sources: readonly ProgramSource[],
  maps: readonly PlacedMap[],
): CodeRelocations {
  const byFunction = new Map<ProgramSource, CodeRelocation[]>();
  const records: Relocation[] = [];
  for (const relSection of elf.relocationSections) {
    const target = relSection.target;
    if (!(target.flags & SHF.EXECINSTR) || !layout.code.includes(target)) continue;
    if (relSection.withAddends) {
      throw elfError(
        { file: elf.fileName, section: relSection.section.name, offset: relSection.section.headerOffset },
        "the section is an SHT_RELA section for program code, expected SHT_REL as clang writes for BPF (libbpf ignores RELA, so the program would keep unresolved references)",
      );
    }
    relSection.relocations.forEach((rel, i) => {
      const where = { file: elf.fileName, section: relSection.section.name, offset: rel.fileOffset };
      if (rel.offset % INSN_BYTES !== 0) {
        throw elfError(where, `relocation ${i} patches byte ${rel.offset} of '${target.name}', expected a multiple of ${INSN_BYTES} (an instruction boundary)`);
      }
      const sectionSlot = rel.offset / INSN_BYTES;
      const owner = functionAt(sources, target, sectionSlot);
      // libbpf skips relocations outside any function (an overridden weak function).
      if (!owner) return;
      const symbol = elf.symbolTable.symbols[rel.symbolIndex];
      const symbolName = symbol.type === STT.SECTION && symbol.name === "" ? (elf.sections[symbol.sectionIndex]?.name ?? "") : symbol.name;
      const slot = sectionSlot - owner.firstSlot;
      const relocation = interpret(elf, layout, sources, maps, owner, slot, symbol, symbolName, where, i);
      const list = byFunction.get(owner);
      if (list) list.push(relocation);
      else byFunction.set(owner, [relocation]);
      records.push({
        section: target.name,
        program: owner.name,
        insnIndex: sectionSlot,
        offsetBytes: rel.offset,
        type: relocationTypeName(rel.type),
        symbol: symbolName,
        target: describe(relocation, maps, layout, sources, owner),
      });
    });
  }
  for (const list of byFunction.values()) list.sort((a, b) => a.slot - b.slot);
  return { byFunction, records };
}

function interpret(
  elf: ElfFile,
  layout: ObjectLayout,
  sources: readonly ProgramSource[],
  maps: readonly PlacedMap[],
  owner: ProgramSource,
  slot: number,
  symbol: ElfSymbol,
  symbolName: string,
  where: { file: string; section: string; offset: number },
  index: number,
): CodeRelocation {
  const insn = owner.insns[slot];
  const fail = (problem: string) => elfError(where, `relocation ${index} (instruction ${slot} of '${owner.name}', against '${symbolName}'): ${problem}`);
  const isCall = insn.opcode === CALL;
  if (!isCall && insn.opcode !== LDDW) {
    throw fail(`patches an instruction with opcode 0x${insn.opcode.toString(16)}, expected a call (0x85) or a 64-bit immediate load (0x18)`);
  }
  if (!isCall && slot + 1 >= owner.insns.length) throw fail("the 64-bit immediate load is missing its second slot");
  if (isExtern(symbol)) return { kind: isCall ? "kfunc" : "ksym", slot, name: symbolName };
  if (isCall) {
    if (insn.src !== PseudoCall.LOCAL) throw fail(`the call has src ${insn.src}, expected 1 (BPF_PSEUDO_CALL) for a bpf-to-bpf call`);
    if (!layout.text || symbol.sectionIndex !== layout.text.index) throw fail("calls a function outside .text, where libbpf requires subprograms to be");
    if (symbol.value % INSN_BYTES !== 0) throw fail(`the called symbol sits at byte ${symbol.value}, expected an instruction boundary`);
    return { kind: "call", slot, symbolOffset: symbol.value };
  }
  if (symbol.sectionIndex === SHN.UNDEF || symbol.sectionIndex >= SHN.LORESERVE) {
    throw fail(`the symbol is in special section 0x${symbol.sectionIndex.toString(16)}, expected a defined map, variable or function (an uninitialized global?)`);
  }
  const inText = layout.text !== undefined && symbol.sectionIndex === layout.text.index;
  if (inText && ((symbol.bind === STB.LOCAL && symbol.type === STT.SECTION) || (symbol.bind === STB.GLOBAL && symbol.type === STT.FUNC))) {
    if (symbol.value % INSN_BYTES !== 0 || insn.imm % INSN_BYTES !== 0) throw fail("the function address is not on an instruction boundary");
    return { kind: "func-addr", slot, symbolOffset: symbol.value };
  }
  const isMapSection = symbol.sectionIndex === layout.btfMaps?.index || symbol.sectionIndex === layout.legacyMaps?.index;
  if (isMapSection) {
    const mapIndex = maps.findIndex((m) => m.origin !== "global-data" && m.sectionIndex === symbol.sectionIndex && m.offset === symbol.value);
    if (mapIndex < 0) throw fail(`no map is defined at offset ${symbol.value} of its section`);
    return { kind: "map", slot, mapIndex };
  }
  const mapIndex = maps.findIndex((m) => m.origin === "global-data" && m.sectionIndex === symbol.sectionIndex);
  if (mapIndex < 0) {
    const sectionName = elf.sections[symbol.sectionIndex]?.name ?? String(symbol.sectionIndex);
    throw fail(`refers to section '${sectionName}', expected .maps, maps, .data*, .rodata* or .bss*`);
  }
  return { kind: "data", slot, mapIndex, symbolOffset: symbol.value };
}

function describe(
  relocation: CodeRelocation,
  maps: readonly PlacedMap[],
  layout: ObjectLayout,
  sources: readonly ProgramSource[],
  owner: ProgramSource,
): RelocationTarget {
  switch (relocation.kind) {
    case "map":
      return { kind: "map", mapIndex: relocation.mapIndex, mapName: maps[relocation.mapIndex].def.name };
    case "data": {
      const insn = owner.insns[relocation.slot];
      return {
        kind: "global-data",
        mapIndex: relocation.mapIndex,
        mapName: maps[relocation.mapIndex].def.name,
        offsetBytes: insn.imm + relocation.symbolOffset,
      };
    }
    case "call":
    case "func-addr": {
      const slot = calleeSlot(relocation, owner.insns[relocation.slot].imm);
      const callee = layout.text && functionAt(sources, layout.text, slot);
      const functionName = callee ? callee.name : `.text+${slot * INSN_BYTES}`;
      return relocation.kind === "call" ? { kind: "subprog-call", functionName } : { kind: "subprog-address", functionName };
    }
    case "kfunc":
    case "ksym":
      return { kind: relocation.kind, name: relocation.name };
    default: {
      const unreachable: never = relocation;
      throw new Error(`unhandled relocation ${String(unreachable)}`);
    }
  }
}

// The .text slot a call or function-address relocation points at: for calls
// the symbol's offset plus imm + 1 (imm is -1 for global functions), for
// addresses the symbol's offset plus imm bytes.
export function calleeSlot(relocation: { kind: "call" | "func-addr"; symbolOffset: number }, imm: number): number {
  return relocation.kind === "call"
    ? relocation.symbolOffset / INSN_BYTES + imm + 1
    : (relocation.symbolOffset + imm) / INSN_BYTES;
}
