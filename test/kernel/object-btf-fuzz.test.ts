// Fuzzing the BTF preparation with real clang objects as seeds: words of the
// .BTF section overwritten with values that break readers. Whatever the
// damage, prepareObjectBtf, then sanitizeBtf for a kernel without any BTF
// kind, either give a blob or throw an OffloadSimError (the caller then goes
// without BTF): never another exception, never a hang.
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readElf } from "../../src/elf/elf-file.ts";
import { OffloadSimError } from "../../src/errors.ts";
import { btfFeatures, FULL_BTF_SUPPORT, type BtfKernelSupport } from "../../src/kernel/btf-features.ts";
import { sanitizeBtf } from "../../src/kernel/btf-sanitize.ts";
import { prepareObjectBtf } from "../../src/kernel/object-btf.ts";

const seeds = ["realworld3/ddos_scrubber.o", "elf/externs.o", "elf/map_in_map.o", "elf/global_data.o"].map((name) => {
  const path = new URL(`../fixtures/${name}`, import.meta.url).pathname;
  const bytes = new Uint8Array(readFileSync(path));
  const btf = readElf(bytes, name).sections.find((s) => s.name === ".BTF")!;
  return { name, bytes, btfStart: btf.offset, btfWords: Math.floor(btf.size / 4) };
});
const NOTHING: BtfKernelSupport = { ...FULL_BTF_SUPPORT, ...Object.fromEntries(btfFeatures.map((f) => [f, false])) };
const interesting = [0, 1, 4, 0x7f, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x0f000000, 0x04000001, 0x0e000001];

describe("prepareObjectBtf on damaged objects", () => {
  it("returns a blob or throws an OffloadSimError, whatever word of .BTF is overwritten", () => {
    const write = fc.record({
      seed: fc.integer({ min: 0, max: seeds.length - 1 }),
      word: fc.nat(),
      value: fc.oneof(fc.constantFrom(...interesting), fc.nat({ max: 0xffffffff })),
    });
    fc.assert(
      fc.property(write, ({ seed, word, value }) => {
        const s = seeds[seed];
        const bytes = s.bytes.slice();
        const at = s.btfStart + (word % s.btfWords) * 4;
        new DataView(bytes.buffer).setUint32(at, value >>> 0, true);
        try {
          const prepared = prepareObjectBtf(bytes, s.name);
          if (prepared !== undefined) sanitizeBtf(prepared.blob, NOTHING);
        } catch (error) {
          if (!(error instanceof OffloadSimError)) {
            throw new Error(`${s.name}, byte ${at} = 0x${(value >>> 0).toString(16)}: ${String(error)}`);
          }
        }
      }),
      { numRuns: 400 },
    );
    expect(seeds.every((s) => s.btfWords > 0)).toBe(true);
  });
});
