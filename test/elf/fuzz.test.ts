// Fuzzing the loader with real clang objects as seeds: byte flips, field
// overwrites in the ELF header, section headers, symbols, relocations and
// BTF, and truncation. Whatever the damage, loadObject (and the inspect
// report built on it) either succeeds or throws an ElfError: never another
// exception, never a hang (a hang would trip vitest's test timeout).
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { readElf, type ElfFile } from "../../src/elf/elf-file.ts";
import { ElfError } from "../../src/elf/errors.ts";
import { formatInspect, inspectObject } from "../../src/elf/inspect.ts";
import { loadObject } from "../../src/elf/load-object.ts";
import { corpusObjects, fixtureObjects, fixturePath, realworld2Dir, realworldDir } from "./fixtures.ts";
import { join } from "node:path";

interface Seed {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly elf: ElfFile;
}

// Realworld seeds bring CO-RE records (core_parse), initial prog-array slots (tail_chain) and global functions (lb_maps).
// Realworld seeds: CO-RE, prog-array slots, map-in-map; a statically linked object, one without BTF, one with DWARF only.
const realworldSeeds = [
  ...["core_parse.o", "tail_chain.o", "lb_maps.o"].map((name) => join(realworldDir, name)),
  ...["linked.o", "meta_nobtf.o", "syn_guard.o", "ddos_sets.o"].map((name) => join(realworld2Dir, name)),
];
const seeds: Seed[] = [...fixtureObjects().map(fixturePath), ...corpusObjects().slice(0, 6), ...realworldSeeds].map((path) => {
  const bytes = new Uint8Array(readFileSync(path));
  return { name: basename(path), bytes, elf: readElf(bytes, basename(path)) };
});

// Values that tend to break readers: zero, one, all-ones, sign bits, sizes near the file's.
const interesting = (fileBytes: number): bigint[] => [
  0n, 1n, 7n, 8n, 0x7fn, 0xffn, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n,
  0xffffffffffffffffn, 0x8000000000000000n, BigInt(fileBytes), BigInt(fileBytes - 1), BigInt(fileBytes + 1),
];

interface FieldWrite {
  readonly at: number;
  readonly width: 1 | 2 | 4 | 8;
  readonly value: bigint;
}

function write(bytes: Uint8Array, little: boolean, { at, width, value }: FieldWrite): void {
  if (at < 0 || at + width > bytes.length) return;
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const masked = BigInt.asUintN(width * 8, value);
  if (width === 1) view.setUint8(at, Number(masked));
  else if (width === 2) view.setUint16(at, Number(masked), little);
  else if (width === 4) view.setUint32(at, Number(masked), little);
  else view.setBigUint64(at, masked, little);
}

// Field layouts (offset, width) of the ELF64 structures (System V gABI).
const EHDR_FIELDS: [number, 1 | 2 | 4 | 8][] = [[4, 1], [5, 1], [6, 1], [16, 2], [18, 2], [20, 4], [40, 8], [52, 2], [58, 2], [60, 2], [62, 2]];
const SHDR_FIELDS: [number, 1 | 2 | 4 | 8][] = [[0, 4], [4, 4], [8, 8], [24, 8], [32, 8], [40, 4], [44, 4], [48, 8], [56, 8]];
const SYM_FIELDS: [number, 1 | 2 | 4 | 8][] = [[0, 4], [4, 1], [5, 1], [6, 2], [8, 8], [16, 8]];
const REL_FIELDS: [number, 1 | 2 | 4 | 8][] = [[0, 8], [8, 4], [12, 4]];
// .BTF header fields and the three words of a type record.
const BTF_FIELDS: [number, 1 | 2 | 4 | 8][] = [[0, 2], [2, 1], [4, 4], [8, 4], [12, 4], [16, 4], [20, 4]];

// A field of some record table inside `seed`: (record base offsets, field layout).
function recordTables(seed: Seed): { name: string; bases: number[]; fields: [number, 1 | 2 | 4 | 8][] }[] {
  const { elf } = seed;
  const shoff = elf.header.sectionHeaderOffset;
  const symtab = elf.sections[elf.symbolTable.sectionIndex];
  const btf = elf.sections.find((s) => s.name === ".BTF");
  const btfExt = elf.sections.find((s) => s.name === ".BTF.ext");
  const tables = [
    { name: "ELF header", bases: [0], fields: EHDR_FIELDS },
    { name: "section headers", bases: elf.sections.map((s) => shoff + s.index * 64), fields: SHDR_FIELDS },
    { name: "symbols", bases: elf.symbolTable.symbols.map((s) => symtab.offset + s.index * 24), fields: SYM_FIELDS },
    { name: "relocations", bases: elf.relocationSections.flatMap((rs) => rs.relocations.map((r) => r.fileOffset)), fields: REL_FIELDS },
  ];
  if (btf) {
    const words = Array.from({ length: Math.floor(btf.size / 4) }, (_, i) => btf.offset + i * 4);
    tables.push({ name: ".BTF header", bases: [btf.offset], fields: BTF_FIELDS }, { name: ".BTF words", bases: words, fields: [[0, 4]] });
  }
  if (btfExt) {
    // func info, line info and CO-RE records: every word of the section.
    tables.push({ name: ".BTF.ext words", bases: Array.from({ length: Math.floor(btfExt.size / 4) }, (_, i) => btfExt.offset + i * 4), fields: [[0, 4]] });
  }
  return tables.filter((t) => t.bases.length > 0);
}

type Mutation =
  | { readonly kind: "flips"; readonly flips: readonly { at: number; value: number }[] }
  | { readonly kind: "field"; readonly table: string; readonly write: FieldWrite }
  | { readonly kind: "truncate"; readonly length: number };

const seedArb = fc.constantFrom(...seeds);

const flips = (seed: Seed) =>
  fc.array(fc.record({ at: fc.nat({ max: seed.bytes.length - 1 }), value: fc.nat({ max: 255 }) }), { minLength: 1, maxLength: 16 })
    .map((list): Mutation => ({ kind: "flips", flips: list }));

const field = (seed: Seed) =>
  fc.constantFrom(...recordTables(seed)).chain((table) =>
    fc.record({
      base: fc.constantFrom(...table.bases),
      layout: fc.constantFrom(...table.fields),
      value: fc.oneof(fc.constantFrom(...interesting(seed.bytes.length)), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
    }).map(({ base, layout, value }): Mutation => ({
      kind: "field",
      table: table.name,
      write: { at: base + layout[0], width: layout[1], value },
    })),
  );

const truncate = (seed: Seed) => fc.nat({ max: seed.bytes.length - 1 }).map((length): Mutation => ({ kind: "truncate", length }));

function apply(seed: Seed, mutation: Mutation): Uint8Array {
  switch (mutation.kind) {
    case "flips": {
      const bytes = seed.bytes.slice();
      for (const { at, value } of mutation.flips) bytes[at] = value;
      return bytes;
    }
    case "field": {
      const bytes = seed.bytes.slice();
      write(bytes, seed.elf.littleEndian, mutation.write);
      return bytes;
    }
    case "truncate":
      return seed.bytes.slice(0, mutation.length);
    default: {
      const unreachable: never = mutation;
      throw new Error(`unknown mutation ${String(unreachable)}`);
    }
  }
}

// Loads and reports on the mutated object; returns what escaped that is not an ElfError.
function foreignFailure(bytes: Uint8Array, name: string): unknown {
  try {
    formatInspect(inspectObject(loadObject(bytes, name)));
    return undefined;
  } catch (failure) {
    return failure instanceof ElfError ? undefined : failure;
  }
}

const property = (mutations: (seed: Seed) => fc.Arbitrary<Mutation>) =>
  fc.property(
    seedArb.chain((seed) => mutations(seed).map((mutation) => ({ seed: seed.name, mutation }))),
    ({ seed, mutation }) => {
      const origin = seeds.find((s) => s.name === seed);
      if (!origin) throw new Error(`unknown seed ${seed}`);
      const failure = foreignFailure(apply(origin, mutation), `${seed} (mutated)`);
      if (failure !== undefined) {
        const text = failure instanceof Error ? `${failure.name}: ${failure.message}\n${failure.stack}` : String(failure);
        throw new Error(`loading ${seed} after ${JSON.stringify(mutation, (_, v) => (typeof v === "bigint" ? `0x${v.toString(16)}` : v))} threw ${text}`);
      }
    },
  );

// ELF_FUZZ_SCALE=20 (say) for a longer hunt than the default CI budget.
const scale = Number(process.env.ELF_FUZZ_SCALE ?? 1);
const runs = (n: number): number => Math.max(1, Math.round(n * scale));

describe("loader under mutated objects", () => {
  it("every seed loads cleanly before mutation", () => {
    for (const seed of seeds) expect(() => loadObject(seed.bytes, seed.name)).not.toThrow();
  });

  it("random byte flips raise nothing but ElfError", () => {
    fc.assert(property(flips), { numRuns: runs(2000) });
  });

  it("overwritten header, section-header, symbol, relocation and BTF fields raise nothing but ElfError", () => {
    fc.assert(property(field), { numRuns: runs(5000) });
  });

  it("truncated objects raise nothing but ElfError", () => {
    fc.assert(property(truncate), { numRuns: runs(800) });
  });
});
