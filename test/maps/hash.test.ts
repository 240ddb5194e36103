// Hash and per-CPU hash against kernel/bpf/hashtab.c and
// Documentation/bpf/map_hash.rst, and against a plain JS Map as a model.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex } from "../../src/maps/bytes.ts";
import { Errno, errnoName } from "../../src/maps/errno.ts";
import { MapFlag } from "../../src/maps/flags.ts";
import { MapType, UpdateFlag } from "../../src/maps/types.ts";
import { allKeys, hex, make, u32, u64 } from "./helpers.ts";

describe("hash", () => {
  it("honours BPF_NOEXIST and BPF_EXIST with EEXIST and ENOENT", () => {
    const map = make({ type: MapType.HASH });
    expect(map.update(u32(1), u64(10), UpdateFlag.EXIST, 0)).toBe(-Errno.ENOENT);
    expect(map.update(u32(1), u64(10), UpdateFlag.NOEXIST, 0)).toBe(0);
    expect(map.update(u32(1), u64(11), UpdateFlag.NOEXIST, 0)).toBe(-Errno.EEXIST);
    expect(map.update(u32(1), u64(12), UpdateFlag.EXIST, 0)).toBe(0);
    expect(map.lookup(u32(1), 0)).toEqual(u64(12));
    expect(map.update(u32(1), u64(12), UpdateFlag.F_LOCK, 0)).toBe(-Errno.EINVAL);
  });

  it("refuses a new key with E2BIG when full but still replaces existing keys", () => {
    const map = make({ type: MapType.HASH, maxEntries: 2 });
    expect(map.update(u32(1), u64(1), 0, 0)).toBe(0);
    expect(map.update(u32(2), u64(2), 0, 0)).toBe(0);
    expect(map.update(u32(3), u64(3), 0, 0)).toBe(-Errno.E2BIG);
    expect(map.update(u32(2), u64(20), 0, 0)).toBe(0);
    expect(map.delete(u32(1))).toBe(0);
    expect(map.delete(u32(1))).toBe(-Errno.ENOENT);
    expect(map.update(u32(3), u64(3), 0, 0)).toBe(0);
  });

  it("iterates in the kernel's order for BPF_F_ZERO_SEED (keys 1, 2, 3 in 4 buckets: 2, 3, 1 on a 6.18 kernel)", () => {
    const map = make({ type: MapType.HASH, valueSize: 4, flags: MapFlag.ZERO_SEED });
    for (const key of [1, 2, 3]) map.sysUpdate(u32(key), u32(10), 0);
    expect(allKeys(map)).toEqual([u32(2), u32(3), u32(1)]);
    // An absent key restarts from the first.
    expect(map.sysGetNextKey(u32(99))).toEqual(u32(2));
  });

  it("lookup-and-delete returns the value and removes the key", () => {
    const map = make({ type: MapType.HASH });
    map.sysUpdate(u32(5), u64(55), 0);
    expect(map.sysLookupAndDelete(u32(5))).toEqual(u64(55));
    expect(map.sysLookup(u32(5))).toBe(-Errno.ENOENT);
  });
});

describe("percpu_hash", () => {
  it("gives a new element the program's value on its CPU and zeros elsewhere", () => {
    const map = make({ type: MapType.PERCPU_HASH, valueSize: 4 }, { cpus: 2 });
    expect(map.update(u32(7), u32(0x55), 0, 1)).toBe(0);
    expect(map.sysLookup(u32(7))).toEqual(hex("0000000000000000" + "5500000000000000"));
    expect(map.update(u32(7), u32(0x66), 0, 0)).toBe(0);
    expect(map.lookup(u32(7), 0)).toEqual(u32(0x66));
    expect(map.lookup(u32(7), 1)).toEqual(u32(0x55));
  });
});

type Op = { kind: "update"; key: number; value: number; flags: number } | { kind: "delete"; key: number } | { kind: "lookup"; key: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("update" as const), key: fc.integer({ min: 0, max: 11 }), value: fc.nat(), flags: fc.constantFrom(0, 1, 2) }),
  fc.record({ kind: fc.constant("delete" as const), key: fc.integer({ min: 0, max: 11 }) }),
  fc.record({ kind: fc.constant("lookup" as const), key: fc.integer({ min: 0, max: 11 }) }),
);

describe("hash against a JS Map model", () => {
  it("agrees on every answer and on the contents after random operations", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const maxEntries = 6;
        const map = make({ type: MapType.HASH, maxEntries });
        const model = new Map<number, number>();
        const log: string[] = [];
        for (const op of ops) {
          let expected: number | undefined;
          let actual: number | undefined;
          if (op.kind === "update") {
            const present = model.has(op.key);
            expected =
              present && op.flags === UpdateFlag.NOEXIST ? -Errno.EEXIST
              : !present && op.flags === UpdateFlag.EXIST ? -Errno.ENOENT
              : !present && model.size >= maxEntries ? -Errno.E2BIG
              : 0;
            if (expected === 0) model.set(op.key, op.value);
            actual = map.update(u32(op.key), u64(op.value), op.flags, 0);
          } else if (op.kind === "delete") {
            expected = model.delete(op.key) ? 0 : -Errno.ENOENT;
            actual = map.delete(u32(op.key));
          } else {
            const value = model.get(op.key);
            expect(map.lookup(u32(op.key), 0)).toEqual(value === undefined ? undefined : u64(value));
          }
          log.push(`${JSON.stringify(op)} -> ${errnoName(actual ?? 0)}`);
          expect(actual, log.join("\n")).toBe(expected);
        }
        const keys = allKeys(map).map(toHex).sort();
        expect(keys, log.join("\n")).toEqual([...model.keys()].map((key) => toHex(u32(key))).sort());
      }),
      { numRuns: 200 },
    );
  });
});
