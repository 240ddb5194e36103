import { i64, subRegion, u64 } from "./byte-region.ts";
import { REL_BYTES, RELA_BYTES, SHT } from "./elf-constants.ts";
import { elfError, hex } from "./errors.ts";
import { sectionRegion, type ElfSection } from "./section-table.ts";
import type { SymbolTable } from "./symbol-table.ts";

export interface ElfRelocation {
  readonly offset: number; // r_offset: byte offset inside the target section
  readonly type: number; // R_BPF_*
  readonly symbolIndex: number;
  readonly addend?: bigint; // SHT_RELA only
  readonly fileOffset: number; // where the record sits in the file
}

export interface RelocationSection {
  readonly section: ElfSection; // the SHT_REL / SHT_RELA section itself
  readonly target: ElfSection; // the section it patches (sh_info)
  readonly withAddends: boolean;
  readonly relocations: readonly ElfRelocation[];
}

// Reads every SHT_REL and SHT_RELA section, checking entry sizes, the symbol
// table they link to, the symbol indices and that each r_offset lies in the target.
export function readRelocationSections(
  fileName: string,
  bytes: Uint8Array,
  sections: readonly ElfSection[],
  symtab: SymbolTable,
  littleEndian: boolean,
): readonly RelocationSection[] {
  return sections
    .filter((s) => s.type === SHT.REL || s.type === SHT.RELA)
    .map((s) => readRelocationSection(fileName, bytes, s, sections, symtab, littleEndian));
}

function readRelocationSection(
  fileName: string,
  bytes: Uint8Array,
  section: ElfSection,
  sections: readonly ElfSection[],
  symtab: SymbolTable,
  littleEndian: boolean,
): RelocationSection {
  const withAddends = section.type === SHT.RELA;
  const entryBytes = withAddends ? RELA_BYTES : REL_BYTES;
  const where = (fieldOffset: number) => ({ file: fileName, section: section.name, offset: section.headerOffset + fieldOffset });
  const kind = withAddends ? "SHT_RELA (Elf64_Rela)" : "SHT_REL (Elf64_Rel)";
  if (section.entsize !== entryBytes) throw elfError(where(56), `the section has sh_entsize ${section.entsize}, expected ${entryBytes} for ${kind}`);
  if (section.size % entryBytes !== 0) throw elfError(where(32), `the section has size ${section.size}, expected a multiple of ${entryBytes} for ${kind}`);
  if (section.link !== symtab.sectionIndex) {
    throw elfError(where(40), `the section links to section ${section.link} for its symbols, expected the symbol table (section ${symtab.sectionIndex})`);
  }
  if (section.info === 0) throw elfError(where(44), "the section has sh_info 0, expected the index of the section it relocates");
  const target = sections[section.info];
  const entries = sectionRegion(fileName, bytes, section, littleEndian);
  const relocations: ElfRelocation[] = [];
  for (let i = 0; i < section.size / entryBytes; i++) {
    const entry = subRegion(entries, i * entryBytes, entryBytes, `relocation ${i}`);
    const offset64 = u64(entry, 0, `r_offset of relocation ${i}`);
    const info = u64(entry, 8, `r_info of relocation ${i}`);
    const symbolIndex = Number(info >> 32n);
    const fileOffset = entry.start;
    if (symbolIndex >= symtab.symbols.length) {
      throw elfError({ file: fileName, section: section.name, offset: fileOffset + 8 }, `relocation ${i} names symbol ${symbolIndex}, but the symbol table has ${symtab.symbols.length} entries`);
    }
    if (offset64 >= BigInt(target.size)) {
      throw elfError(
        { file: fileName, section: section.name, offset: fileOffset },
        `relocation ${i} patches byte ${hex(Number(offset64 & 0xffffffffffffn))} of section '${target.name}', expected an offset below its size ${target.size}`,
      );
    }
    relocations.push({
      offset: Number(offset64),
      type: Number(info & 0xffffffffn),
      symbolIndex,
      ...(withAddends ? { addend: i64(entry, 16, `r_addend of relocation ${i}`) } : {}),
      fileOffset,
    });
  }
  return { section, target, withAddends, relocations };
}
