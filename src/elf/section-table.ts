import { cString, region, u32, u64, u64Number, type ByteRegion } from "./byte-region.ts";
import { EHDR_BYTES, SHDR_BYTES, SHN, SHT } from "./elf-constants.ts";
import type { ElfHeader } from "./elf-header.ts";
import { elfError, hex } from "./errors.ts";

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number; // the low 32 bits of sh_flags: every flag eBPF objects use lives there
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: number;
  readonly entsize: number;
  readonly headerOffset: number; // where this section's header sits in the file
}

interface RawSection extends Omit<ElfSection, "name"> {
  readonly nameOffset: number;
}

// Reads and checks the section header table and the section names.
export function readSections(fileName: string, bytes: Uint8Array, header: ElfHeader): readonly ElfSection[] {
  const { littleEndian, sectionHeaderOffset } = header;
  if (sectionHeaderOffset === 0) {
    throw elfError({ file: fileName, offset: 40 }, "the file has no section header table (e_shoff is 0), so it holds no programs or maps");
  }
  if (sectionHeaderOffset < EHDR_BYTES) {
    throw elfError({ file: fileName, offset: 40 }, `e_shoff ${hex(sectionHeaderOffset)} points into the ELF header, expected ${hex(EHDR_BYTES)} or later`);
  }
  const first = readRaw(region(fileName, bytes, sectionHeaderOffset, SHDR_BYTES, "section header 0", littleEndian), 0, sectionHeaderOffset);
  // Extended numbering (gABI): e_shnum 0 and e_shstrndx SHN_XINDEX defer to section header 0.
  const count = header.rawSectionCount === 0 ? first.size : header.rawSectionCount;
  const namesIndex = header.rawNamesIndex === SHN.XINDEX ? first.link : header.rawNamesIndex;
  const tableBytes = count * SHDR_BYTES;
  if (count === 0 || sectionHeaderOffset + tableBytes > bytes.length) {
    throw elfError(
      { file: fileName, offset: sectionHeaderOffset },
      `the section header table of ${count} entries would end at byte ${hex(sectionHeaderOffset + tableBytes)}, past the end of the ${bytes.length}-byte file`,
    );
  }
  const table = region(fileName, bytes, sectionHeaderOffset, tableBytes, "the section header table", littleEndian);
  const raw: RawSection[] = [];
  for (let index = 0; index < count; index++) raw.push(readRaw(table, index, sectionHeaderOffset));
  raw.forEach((s) => checkPlacement(fileName, bytes.length, s, count));
  checkOverlaps(fileName, raw, sectionHeaderOffset, tableBytes);

  if (namesIndex === SHN.UNDEF || namesIndex >= count) {
    throw elfError({ file: fileName, offset: 62 }, `e_shstrndx is ${namesIndex}, expected the index of the section-name string table (1..${count - 1})`);
  }
  const namesHeader = raw[namesIndex];
  if (namesHeader.type !== SHT.STRTAB) {
    throw elfError(
      { file: fileName, offset: namesHeader.headerOffset },
      `section ${namesIndex}, named by e_shstrndx, has type ${namesHeader.type}, expected 3 (SHT_STRTAB)`,
    );
  }
  const names = region(fileName, bytes, namesHeader.offset, namesHeader.size, "the section-name string table", littleEndian);
  return raw.map(({ nameOffset, ...s }) => ({ ...s, name: s.index === 0 ? "" : cString(names, nameOffset, `the name of section ${s.index}`) }));
}

function readRaw(table: ByteRegion, index: number, tableOffset: number): RawSection {
  const at = index * SHDR_BYTES;
  const what = (field: string): string => `${field} of section header ${index}`;
  return {
    index,
    nameOffset: u32(table, at, what("sh_name")),
    type: u32(table, at + 4, what("sh_type")),
    flags: Number(u64(table, at + 8, what("sh_flags")) & 0xffffffffn),
    offset: u64Number(table, at + 24, what("sh_offset")),
    size: u64Number(table, at + 32, what("sh_size")),
    link: u32(table, at + 40, what("sh_link")),
    info: u32(table, at + 44, what("sh_info")),
    addralign: u64Number(table, at + 48, what("sh_addralign")),
    entsize: u64Number(table, at + 56, what("sh_entsize")),
    headerOffset: tableOffset + at,
  };
}

const hasFileContents = (s: RawSection): boolean => s.type !== SHT.NOBITS && s.type !== SHT.NULL && s.size > 0;

function checkPlacement(fileName: string, fileBytes: number, s: RawSection, count: number): void {
  if (hasFileContents(s) && s.offset + s.size > fileBytes) {
    throw elfError(
      { file: fileName, offset: s.headerOffset },
      `section ${s.index} spans ${s.size} bytes from byte ${hex(s.offset)}, past the end of the ${fileBytes}-byte file`,
    );
  }
  const linksSection = s.type === SHT.SYMTAB || s.type === SHT.REL || s.type === SHT.RELA;
  if (linksSection && (s.link === 0 || s.link >= count)) {
    throw elfError({ file: fileName, offset: s.headerOffset + 40 }, `section ${s.index} has sh_link ${s.link}, expected the index of an existing section (1..${count - 1})`);
  }
  if ((s.type === SHT.REL || s.type === SHT.RELA) && s.info >= count) {
    throw elfError({ file: fileName, offset: s.headerOffset + 44 }, `relocation section ${s.index} applies to section ${s.info}, but the object has only ${count} sections`);
  }
}

// Sections with contents must not overlap each other, the ELF header or the section header table.
function checkOverlaps(fileName: string, raw: readonly RawSection[], tableOffset: number, tableBytes: number): void {
  const spans = raw
    .filter(hasFileContents)
    .map((s) => ({ start: s.offset, end: s.offset + s.size, what: `section ${s.index}`, at: s.headerOffset }));
  spans.push({ start: 0, end: EHDR_BYTES, what: "the ELF header", at: 0 });
  spans.push({ start: tableOffset, end: tableOffset + tableBytes, what: "the section header table", at: tableOffset });
  spans.sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < spans.length; i++) {
    const [before, after] = [spans[i - 1], spans[i]];
    if (after.start < before.end) {
      throw elfError(
        { file: fileName, offset: after.start },
        `${after.what} (bytes ${hex(after.start)}..${hex(after.end)}) overlaps ${before.what} (bytes ${hex(before.start)}..${hex(before.end)}), expected disjoint contents`,
      );
    }
  }
}

// The bytes of a section (empty for SHT_NOBITS, whose contents are zeros at load time).
export function sectionRegion(fileName: string, bytes: Uint8Array, s: ElfSection, littleEndian: boolean): ByteRegion {
  const name = `section '${s.name}'`;
  if (s.type === SHT.NOBITS) return region(fileName, bytes, 0, 0, name, littleEndian, s.name);
  return region(fileName, bytes, s.offset, s.size, name, littleEndian, s.name);
}

