import { readElfHeader, type ElfHeader } from "./elf-header.ts";
import { readRelocationSections, type RelocationSection } from "./relocation-table.ts";
import { readSections, sectionRegion, type ElfSection } from "./section-table.ts";
import { readSymbolTable, type SymbolTable } from "./symbol-table.ts";
import type { ByteRegion } from "./byte-region.ts";

// A checked view of an ELF64 relocatable object: everything the eBPF loader
// needs, with every offset, size, index and string already validated.
export interface ElfFile {
  readonly fileName: string;
  readonly bytes: Uint8Array;
  readonly header: ElfHeader;
  readonly littleEndian: boolean;
  readonly sections: readonly ElfSection[];
  readonly symbolTable: SymbolTable;
  readonly relocationSections: readonly RelocationSection[];
}

export function readElf(bytes: Uint8Array, fileName: string): ElfFile {
  const header = readElfHeader(fileName, bytes);
  const { littleEndian } = header;
  const sections = readSections(fileName, bytes, header);
  const symbolTable = readSymbolTable(fileName, bytes, sections, littleEndian);
  const relocationSections = readRelocationSections(fileName, bytes, sections, symbolTable, littleEndian);
  return { fileName, bytes, header, littleEndian, sections, symbolTable, relocationSections };
}

export const contents = (elf: ElfFile, section: ElfSection): ByteRegion =>
  sectionRegion(elf.fileName, elf.bytes, section, elf.littleEndian);
