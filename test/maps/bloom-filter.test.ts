// BPF_MAP_TYPE_BLOOM_FILTER against kernel/bpf/bloom_filter.c (Linux 6.18):
// the bit array size worked out by hand from bloom_map_alloc's formula, the
// errnos of each operation from bloom_filter_map_ops, the alloc checks, and a
// false positive made on purpose with one hash function over 64 bits.
// ddos_sets.o in test/elf/realworld2.test.ts pushes and peeks it against the kernel.

import { describe, expect, it } from "vitest";
import { bloomBitMask, bloomHashFuncs } from "../../src/maps/bloom-filter.ts";
import { checkDef } from "../../src/maps/validate.ts";
import { Errno } from "../../src/maps/errno.ts";
import { jhash } from "../../src/maps/jhash.ts";
import { MapFlag } from "../../src/maps/flags.ts";
import { MapType, UpdateFlag, type MapDef } from "../../src/maps/types.ts";
import { make, u32 } from "./helpers.ts";

const bloom = (maxEntries: number, mapExtra?: number, extra: Partial<MapDef> = {}): MapDef => ({
  name: "bloom",
  type: MapType.BLOOM_FILTER,
  keySize: 0,
  valueSize: 4,
  maxEntries,
  flags: 0,
  ...(mapExtra === undefined ? {} : { mapExtra }),
  ...extra,
});

describe("bloom filter sizing (bloom_map_alloc)", () => {
  it.each([
    // max_entries, map_extra, mask: n*k/5*7 bits, at least 64, rounded up to a power of two
    [4096, 3, 32767], // 12288/5 = 2457, *7 = 17199 -> 32768 bits
    [1, 1, 63], // 0 bits -> 64
    [1, undefined, 63], // k defaults to 5: 5/5*7 = 7 -> 64
    [100, 5, 1023], // 700 -> 1024
    [100_000_000, 3, 2 ** 29 - 1], // 420,000,000 -> 2^29
    [200_000_000, 8, 0xffff_ffff], // 2,240,000,000 > 2^31
    [2 ** 31, 5, 0xffff_ffff], // n*k overflows a u32
  ])("max_entries %d, map_extra %s: bitset_mask %d", (maxEntries, mapExtra, mask) => {
    expect(bloomBitMask(bloom(maxEntries, mapExtra))).toBe(mask);
  });

  it("takes the hash-function count from map_extra's low 4 bits, 5 when they are 0", () => {
    expect(bloomHashFuncs(bloom(10))).toBe(5);
    expect(bloomHashFuncs(bloom(10, 3))).toBe(3);
    expect(bloomHashFuncs(bloom(10, 15))).toBe(15);
  });
});

describe("bloom filter checks at BPF_MAP_CREATE", () => {
  it("refuses what bloom_map_alloc refuses with EINVAL", () => {
    expect(checkDef(bloom(16))).toBeUndefined();
    expect(checkDef(bloom(16, 0x10))?.errno).toBe("EINVAL");
    expect(checkDef(bloom(16, undefined, { keySize: 4 }))?.errno).toBe("EINVAL");
    expect(checkDef(bloom(16, undefined, { valueSize: 0 }))?.errno).toBe("EINVAL");
    expect(checkDef(bloom(0))?.errno).toBe("EINVAL");
    expect(checkDef(bloom(16, undefined, { flags: MapFlag.NO_PREALLOC }))?.errno).toBe("EINVAL");
    expect(checkDef(bloom(16, undefined, { flags: MapFlag.ZERO_SEED | MapFlag.RDONLY_PROG }))).toBeUndefined();
    expect(checkDef(bloom(16, undefined, { flags: MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG }))?.errno).toBe("EINVAL");
  });
});

describe("bloom filter operations", () => {
  it("answers 0 for every value pushed and ENOENT for one never pushed when no bit collides", () => {
    const map = make(bloom(4096, 3));
    for (let v = 1; v <= 50; v++) expect(map.push?.(u32(v), UpdateFlag.ANY)).toBe(0);
    for (let v = 1; v <= 50; v++) expect(map.contains?.(u32(v))).toBe(0);
    // 150 of 32768 bits set: a value whose 3 bits are all among them is rare; 0xdead's are not (checked by jhash below).
    const bitsOf = (v: number) => [0, 1, 2].map((i) => jhash(u32(v), i) & 32767);
    const set = new Set(Array.from({ length: 50 }, (_, i) => bitsOf(i + 1)).flat());
    expect(bitsOf(0xdead).every((b) => set.has(b))).toBe(false);
    expect(map.contains?.(u32(0xdead))).toBe(-Errno.ENOENT);
  });

  it("gives a false positive for a value whose only bit another value set (1 hash function, 64 bits)", () => {
    const map = make(bloom(1, 1));
    map.push?.(u32(1), UpdateFlag.ANY);
    const target = jhash(u32(1), 0) & 63;
    let other = 2;
    while ((jhash(u32(other), 0) & 63) !== target) other++;
    expect(map.contains?.(u32(other))).toBe(0);
    let absent = 2;
    while ((jhash(u32(absent), 0) & 63) === target) absent++;
    expect(map.contains?.(u32(absent))).toBe(-Errno.ENOENT);
  });

  it("answers each other operation as bloom_filter_map_ops and the syscall do", () => {
    const map = make(bloom(16));
    expect(map.push?.(u32(1), UpdateFlag.EXIST)).toBe(-Errno.EINVAL);
    expect(map.push?.(u32(1), UpdateFlag.NOEXIST)).toBe(-Errno.EINVAL);
    expect(map.pop?.()).toBe(-Errno.EOPNOTSUPP);
    expect(map.lookup(new Uint8Array(0), 0)).toBeUndefined();
    expect(map.update(new Uint8Array(0), u32(1), 0, 0)).toBe(-Errno.EINVAL);
    expect(map.delete(new Uint8Array(0))).toBe(-Errno.EOPNOTSUPP);
    expect(map.sysGetNextKey(undefined)).toBe(-Errno.EOPNOTSUPP);
    expect(map.sysLookupAndDelete(undefined)).toBe(-Errno.ENOTSUPP);
    expect(map.sysUpdate(undefined, u32(9), UpdateFlag.ANY)).toBe(0);
    expect(map.contains?.(u32(9))).toBe(0);
  });

  it("clones its bits: a push into the copy leaves the original as it was", () => {
    const map = make(bloom(16, 1));
    const copy = map.clone();
    copy.push?.(u32(5), UpdateFlag.ANY);
    expect(copy.contains?.(u32(5))).toBe(0);
    expect(map.contains?.(u32(5))).toBe(-Errno.ENOENT);
  });
});
