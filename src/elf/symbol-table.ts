import { cString, subRegion, u16, u32, u64Number, u8, type ByteRegion } from "./byte-region.ts";
import { SHN, SHT, SYM_BYTES } from "./elf-constants.ts";
import { elfError } from "./errors.ts";
import { sectionRegion, type ElfSection } from "./section-table.ts";

export interface ElfSymbol {
  readonly index: number;
  readonly name: string;
  readonly bind: number; // STB_*
  readonly type: number; // STT_*
  readonly visibility: number; // STV_*
  readonly sectionIndex: number; // st_shndx: a section index, or SHN_UNDEF/ABS/COMMON
  readonly value: number;
  readonly size: number;
}

export interface SymbolTable {
  readonly sectionIndex: number;
  readonly symbols: readonly ElfSymbol[];
}

// Reads the one SHT_SYMTAB section, checking its entry size, its string table
// and that each symbol names an existing section.
export function readSymbolTable(
  fileName: string,
  bytes: Uint8Array,
  sections: readonly ElfSection[],
  littleEndian: boolean,
): SymbolTable {
  const tables = sections.filter((s) => s.type === SHT.SYMTAB);
  if (tables.length === 0) {
    throw elfError({ file: fileName }, "the file has no symbol table (SHT_SYMTAB), expected one as clang writes (was the object stripped?)");
  }
  if (tables.length > 1) {
    throw elfError({ file: fileName, section: tables[1].name, offset: tables[1].headerOffset }, "this is a second symbol table, expected exactly one SHT_SYMTAB section");
  }
  const symtab = tables[0];
  if (symtab.entsize !== SYM_BYTES) {
    throw elfError({ file: fileName, section: symtab.name, offset: symtab.headerOffset + 56 }, `the section has sh_entsize ${symtab.entsize}, expected ${SYM_BYTES} (Elf64_Sym)`);
  }
  if (symtab.size % SYM_BYTES !== 0) {
    throw elfError({ file: fileName, section: symtab.name, offset: symtab.headerOffset + 32 }, `the section has size ${symtab.size}, expected a multiple of ${SYM_BYTES} (Elf64_Sym)`);
  }
  const strtab = sections[symtab.link];
  if (strtab.type !== SHT.STRTAB) {
    throw elfError(
      { file: fileName, section: symtab.name, offset: symtab.headerOffset + 40 },
      `the section links to section ${symtab.link} of type ${strtab.type} for its names, expected 3 (SHT_STRTAB)`,
    );
  }
  const entries = sectionRegion(fileName, bytes, symtab, littleEndian);
  const names = sectionRegion(fileName, bytes, strtab, littleEndian);
  const symbols: ElfSymbol[] = [];
  for (let index = 0; index < symtab.size / SYM_BYTES; index++) {
    symbols.push(readSymbol(subRegion(entries, index * SYM_BYTES, SYM_BYTES, `symbol ${index}`), names, index, sections.length));
  }
  return { sectionIndex: symtab.index, symbols };
}

function readSymbol(entry: ByteRegion, names: ByteRegion, index: number, sectionCount: number): ElfSymbol {
  const what = (field: string): string => `${field} of symbol ${index}`;
  const info = u8(entry, 4, what("st_info"));
  const sectionIndex = u16(entry, 6, what("st_shndx"));
  if (sectionIndex === SHN.XINDEX) {
    throw elfError({ file: entry.fileName, section: entry.name, offset: entry.start + 6 }, `symbol ${index} uses SHN_XINDEX, which needs an SHT_SYMTAB_SHNDX table this reader does not support`);
  }
  if (sectionIndex >= sectionCount && sectionIndex < SHN.LORESERVE) {
    throw elfError(
      { file: entry.fileName, section: entry.name, offset: entry.start + 6 },
      `symbol ${index} is defined in section ${sectionIndex}, but the object has only ${sectionCount} sections`,
    );
  }
  const nameOffset = u32(entry, 0, what("st_name"));
  return {
    index,
    name: nameOffset === 0 ? "" : cString(names, nameOffset, `the name of symbol ${index}`),
    bind: info >> 4,
    type: info & 0xf,
    visibility: u8(entry, 5, what("st_other")) & 0x3,
    sectionIndex,
    value: u64Number(entry, 8, what("st_value")),
    size: u64Number(entry, 16, what("st_size")),
  };
}
