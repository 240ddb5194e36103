// The ELF64 reader against llvm-readelf's view of the same objects, and its
// refusals of malformed files, each checked for the place and the expectation
// it names.
import { describe, expect, it } from "vitest";
import { relocationTypeName } from "../../src/elf/elf-constants.ts";
import { readElf, type ElfFile } from "../../src/elf/elf-file.ts";
import { ElfError } from "../../src/elf/errors.ts";
import { fixtureObjects, fixturePath, readFixture, run, toolMissing } from "./fixtures.ts";

const readelfMissing = toolMissing("llvm-readelf");
if (readelfMissing) console.log(`skipping llvm-readelf comparisons: ${readelfMissing}`);

const typeNames: Record<string, number> = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, NOBITS: 8, REL: 9, LLVM_ADDRSIG: 0x6fff4c03 };
const symbolTypes: Record<string, number> = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 };
const binds: Record<string, number> = { LOCAL: 0, GLOBAL: 1, WEAK: 2 };

describe.skipIf(readelfMissing !== undefined)("ELF reader agrees with llvm-readelf", () => {
  for (const name of fixtureObjects()) {
    const elf = readElf(readFixture(name), name);

    it(`${name}: section names, types, offsets and sizes`, () => {
      const rows = run("llvm-readelf", ["-S", "--wide", fixturePath(name)])
        .split("\n")
        .map((line) => /^\s*\[\s*(\d+)\]\s+(.*)$/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => {
          const tokens = m[2].trim().split(/\s+/);
          if (tokens[0] === "NULL") tokens.unshift("");
          return { index: Number(m[1]), name: tokens[0], type: typeNames[tokens[1]], offset: parseInt(tokens[3], 16), size: parseInt(tokens[4], 16) };
        });
      expect(elf.sections.map((s) => ({ index: s.index, name: s.name, type: s.type, offset: s.offset, size: s.size }))).toEqual(rows);
    });

    it(`${name}: symbols`, () => {
      const rows = run("llvm-readelf", ["-s", "--wide", fixturePath(name)])
        .split("\n")
        .map((line) => /^\s*(\d+):\s+([0-9a-f]+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({
          index: Number(m[1]),
          value: parseInt(m[2], 16),
          size: Number(m[3]),
          type: symbolTypes[m[4]],
          bind: binds[m[5]],
          sectionIndex: m[7] === "UND" ? 0 : m[7] === "ABS" ? 0xfff1 : Number(m[7]),
          // llvm-readelf prints a section symbol under its section's name.
          name: m[4] === "SECTION" ? elf.sections[Number(m[7])].name : m[8],
        }));
      const ours = elf.symbolTable.symbols.map(({ index, value, size, type, bind, sectionIndex, name: symbolName }) => ({
        index, value, size, type, bind, sectionIndex,
        name: type === 3 ? elf.sections[sectionIndex].name : symbolName,
      }));
      expect(ours).toEqual(rows);
    });

    it(`${name}: relocations`, () => {
      const theirs: { section: string; offset: number; type: string; symbol: number }[] = [];
      let section = "";
      for (const line of run("llvm-readelf", ["-r", "--wide", fixturePath(name)]).split("\n")) {
        const header = /^Relocation section '([^']+)'/.exec(line);
        if (header) section = header[1];
        const row = /^([0-9a-f]{16})\s+([0-9a-f]{16})\s+(R_BPF_\S+)/.exec(line);
        if (row) theirs.push({ section, offset: parseInt(row[1], 16), type: row[3], symbol: Number(BigInt(`0x${row[2]}`) >> 32n) });
      }
      const ours = relocationRows(elf);
      expect(ours).toEqual(theirs);
      expect(ours.length).toBeGreaterThan(0);
    });
  }
});

function relocationRows(elf: ElfFile) {
  return elf.relocationSections.flatMap((rs) =>
    rs.relocations.map((r) => ({ section: rs.section.name, offset: r.offset, type: relocationTypeName(r.type), symbol: r.symbolIndex })),
  );
}

// Little-endian ELF64 field positions used to build malformed files by hand (System V gABI).
const E_SHOFF = 40;
const E_SHNUM = 60;
const E_SHSTRNDX = 62;
const SH_TYPE = 4;
const SH_OFFSET = 24;
const SH_SIZE = 32;
const SH_LINK = 40;
const SH_ENTSIZE = 56;

interface Mutable {
  bytes: Uint8Array;
  view: DataView;
  shoff: number;
  sectionHeader(index: number): number;
  sectionIndex(name: string): number;
}

function mutable(name = "subprogs.o"): Mutable {
  const bytes = readFixture(name).slice();
  const view = new DataView(bytes.buffer);
  const shoff = Number(view.getBigUint64(E_SHOFF, true));
  const elf = readElf(bytes, name);
  return {
    bytes,
    view,
    shoff,
    sectionHeader: (index) => shoff + index * 64,
    sectionIndex: (section) => elf.sections.findIndex((s) => s.name === section),
  };
}

function refusal(bytes: Uint8Array): ElfError {
  try {
    readElf(bytes, "bad.o");
  } catch (failure) {
    if (failure instanceof ElfError) return failure;
    throw failure;
  }
  throw new Error("the malformed file was accepted");
}

describe("ELF reader refuses malformed files, naming the place", () => {
  it("a file shorter than the ELF header", () => {
    const e = refusal(readFixture("subprogs.o").slice(0, 40));
    expect(e.message).toMatch(/^bad\.o: byte 0x0: the file is 40 bytes long, too short for the 64-byte ELF64 header\.$/);
  });

  it("a file that is not ELF", () => {
    const e = refusal(new TextEncoder().encode("#!/bin/sh\necho this is a shell script, not an object file at all....\n"));
    expect(e.message).toContain("not an ELF file");
    expect(e.position).toEqual({ file: "bad.o", offset: 0 });
  });

  it("a 32-bit ELF", () => {
    const m = mutable();
    m.bytes[4] = 1; // EI_CLASS = ELFCLASS32
    expect(refusal(m.bytes).message).toContain("ELF class 1, expected 2 (ELFCLASS64)");
  });

  it("an executable instead of a relocatable object", () => {
    const m = mutable();
    m.view.setUint16(16, 2, true); // e_type = ET_EXEC
    const e = refusal(m.bytes);
    expect(e.message).toContain("e_type is 2, expected 1 (ET_REL");
    expect(e.position.offset).toBe(16);
  });

  it("a section header table past the end of the file", () => {
    const m = mutable();
    m.view.setUint16(E_SHNUM, 1000, true);
    expect(refusal(m.bytes).message).toMatch(/section header table of 1000 entries would end at byte 0x[0-9a-f]+, past the end of the \d+-byte file/);
  });

  it("a section whose contents lie past the end of the file", () => {
    const m = mutable();
    const text = m.sectionIndex(".text");
    m.view.setBigUint64(m.sectionHeader(text) + SH_SIZE, 1n << 40n, true);
    const e = refusal(m.bytes);
    expect(e.message).toContain(`section ${text} spans ${2 ** 40} bytes`);
    expect(e.position.offset).toBe(m.sectionHeader(text));
  });

  it("two sections whose contents overlap", () => {
    const m = mutable();
    const xdp = m.sectionIndex("xdp");
    const text = m.sectionIndex(".text");
    const textOffset = m.view.getBigUint64(m.sectionHeader(text) + SH_OFFSET, true);
    m.view.setBigUint64(m.sectionHeader(xdp) + SH_OFFSET, textOffset + 8n, true);
    expect(refusal(m.bytes).message).toMatch(/overlaps section \d+ .*expected disjoint contents/);
  });

  it("a section name offset outside the name table", () => {
    const m = mutable();
    m.view.setUint32(m.sectionHeader(3), 0xfffff, true);
    const e = refusal(m.bytes);
    expect(e.message).toContain("the name of section 3 points at offset 1048575, outside");
  });

  it("a section-name index that is not a string table", () => {
    const m = mutable();
    m.view.setUint16(E_SHSTRNDX, m.sectionIndex(".text"), true);
    expect(refusal(m.bytes).message).toContain("expected 3 (SHT_STRTAB)");
  });

  it("a symbol table with the wrong entry size", () => {
    const m = mutable();
    const symtab = m.sectionIndex(".symtab");
    m.view.setBigUint64(m.sectionHeader(symtab) + SH_ENTSIZE, 16n, true);
    const e = refusal(m.bytes);
    expect(e.message).toBe(`bad.o: section '.symtab', byte 0x${(m.sectionHeader(symtab) + SH_ENTSIZE).toString(16)}: the section has sh_entsize 16, expected 24 (Elf64_Sym).`);
    expect(e.position.section).toBe(".symtab");
  });

  it("a symbol defined in a section that does not exist", () => {
    const m = mutable();
    const symtab = m.sectionIndex(".symtab");
    const symbols = Number(m.view.getBigUint64(m.sectionHeader(symtab) + SH_OFFSET, true));
    m.view.setUint16(symbols + 24 + 6, 500, true); // symbol 1's st_shndx
    expect(refusal(m.bytes).message).toContain("symbol 1 is defined in section 500");
  });

  it("a relocation naming a symbol past the symbol table", () => {
    const m = mutable();
    const rel = m.sectionIndex(".relxdp");
    const entries = Number(m.view.getBigUint64(m.sectionHeader(rel) + SH_OFFSET, true));
    m.view.setUint32(entries + 12, 99999, true); // r_info's symbol half
    const e = refusal(m.bytes);
    expect(e.message).toMatch(/relocation 0 names symbol 99999, but the symbol table has \d+ entries/);
    expect(e.position).toEqual({ file: "bad.o", section: ".relxdp", offset: entries + 8 });
  });

  it("a relocation patching past the end of its target section", () => {
    const m = mutable();
    const rel = m.sectionIndex(".relxdp");
    const entries = Number(m.view.getBigUint64(m.sectionHeader(rel) + SH_OFFSET, true));
    m.view.setBigUint64(entries, 0x100000n, true);
    expect(refusal(m.bytes).message).toContain("patches byte 0x100000 of section 'xdp', expected an offset below its size");
  });

  it("a relocation section linked to something other than the symbol table", () => {
    const m = mutable();
    const rel = m.sectionIndex(".relxdp");
    m.view.setUint32(m.sectionHeader(rel) + SH_LINK, 1, true);
    expect(refusal(m.bytes).message).toMatch(/links to section 1 for its symbols, expected the symbol table/);
  });

  it("a file with no symbol table", () => {
    const m = mutable();
    const symtab = m.sectionIndex(".symtab");
    m.view.setUint32(m.sectionHeader(symtab) + SH_TYPE, 1, true); // now PROGBITS
    // Relocation sections still link to it; make them point nowhere harmful by dropping the check's subject.
    for (const s of readElfSections(m.bytes)) if (s.type === 9) m.view.setUint32(m.sectionHeader(s.index) + SH_TYPE, 1, true);
    expect(refusal(m.bytes).message).toContain("the file has no symbol table (SHT_SYMTAB)");
  });

  it("reads big-endian objects with the same sections as their little-endian twin", () => {
    const le = readElf(readFixture("subprogs.o"), "subprogs.o");
    const be = readElf(readFixture("subprogs.eb.o"), "subprogs.eb.o");
    expect(be.littleEndian).toBe(false);
    expect(be.sections.map((s) => [s.name, s.type, s.size])).toEqual(le.sections.map((s) => [s.name, s.type, s.size]));
    expect(be.symbolTable.symbols.map((s) => [s.name, s.value, s.size])).toEqual(le.symbolTable.symbols.map((s) => [s.name, s.value, s.size]));
  });
});

function readElfSections(bytes: Uint8Array): { index: number; type: number }[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const shoff = Number(view.getBigUint64(E_SHOFF, true));
  return Array.from({ length: view.getUint16(E_SHNUM, true) }, (_, index) => ({ index, type: view.getUint32(shoff + index * 64 + SH_TYPE, true) }));
}
