// Expectations from Documentation/bpf/map_array.rst and kernel/bpf/arraymap.c
// (and confirmed against bpf() on a 6.18 kernel, see kernel-diff.test.ts).

import { describe, expect, it } from "vitest";
import { Errno } from "../../src/maps/errno.ts";
import { MapFlag } from "../../src/maps/flags.ts";
import { MapType, UpdateFlag } from "../../src/maps/types.ts";
import { allKeys, hex, make, u32, u64 } from "./helpers.ts";

describe("array", () => {
  it("starts with every element present and zero", () => {
    const map = make({ type: MapType.ARRAY, valueSize: 12, maxEntries: 3 });
    for (const index of [0, 1, 2]) expect(map.lookup(u32(index), 0)).toEqual(new Uint8Array(12));
    expect(map.lookup(u32(3), 0)).toBeUndefined();
  });

  it("answers E2BIG for an index past the end and EEXIST for BPF_NOEXIST", () => {
    const map = make({ type: MapType.ARRAY });
    expect(map.update(u32(4), u64(1), UpdateFlag.ANY, 0)).toBe(-Errno.E2BIG);
    expect(map.update(u32(9), u64(1), UpdateFlag.NOEXIST, 0)).toBe(-Errno.E2BIG);
    expect(map.update(u32(1), u64(1), UpdateFlag.NOEXIST, 0)).toBe(-Errno.EEXIST);
    expect(map.update(u32(1), u64(7), UpdateFlag.EXIST, 0)).toBe(0);
    expect(map.update(u32(1), u64(7), 3, 0)).toBe(-Errno.EINVAL);
    expect(map.sysLookup(u32(1))).toEqual(u64(7));
  });

  it("refuses deletes with EINVAL", () => {
    const map = make({ type: MapType.ARRAY });
    expect(map.delete(u32(0))).toBe(-Errno.EINVAL);
    expect(map.sysDelete(u32(0))).toBe(-Errno.EINVAL);
  });

  it("hands the program a live view: writes through it are what the syscall side reads", () => {
    const map = make({ type: MapType.ARRAY });
    const view = map.lookup(u32(2), 0) as Uint8Array;
    new DataView(view.buffer, view.byteOffset).setBigUint64(0, 0x1122n, true);
    expect(map.sysLookup(u32(2))).toEqual(u64(0x1122));
    expect(map.lookup(u32(2), 0)?.byteOffset).toBe(view.byteOffset);
  });

  it("iterates keys 0..max-1 and restarts from 0 after an out-of-range key", () => {
    const map = make({ type: MapType.ARRAY, maxEntries: 3 });
    expect(allKeys(map)).toEqual([u32(0), u32(1), u32(2)]);
    expect(map.sysGetNextKey(u32(2))).toBe(-Errno.ENOENT);
    expect(map.sysGetNextKey(u32(77))).toEqual(u32(0));
  });

  it("starts a .data map with the object's bytes and refuses syscall writes once frozen", () => {
    const map = make({ type: MapType.ARRAY, valueSize: 4, maxEntries: 1, initialValue: hex("01020304"), frozen: true });
    expect(map.sysLookup(u32(0))).toEqual(hex("01020304"));
    expect(map.sysUpdate(u32(0), hex("00000000"), 0)).toBe(-Errno.EPERM);
    expect(map.update(u32(0), hex("05060708"), 0, 0)).toBe(0);
  });

  it("refuses syscall writes to a BPF_F_RDONLY map with EPERM", () => {
    const map = make({ type: MapType.ARRAY, flags: MapFlag.RDONLY });
    expect(map.sysUpdate(u32(0), u64(1), 0)).toBe(-Errno.EPERM);
  });
});

describe("percpu_array", () => {
  it("keeps one value per CPU; the syscall side sees them all, each rounded up to 8 bytes", () => {
    const map = make({ type: MapType.PERCPU_ARRAY, valueSize: 4 }, { cpus: 3 });
    expect(map.update(u32(1), u32(0xaa), 0, 1)).toBe(0);
    expect(map.lookup(u32(1), 0)).toEqual(u32(0));
    expect(map.lookup(u32(1), 1)).toEqual(u32(0xaa));
    // 3 CPUs x round_up(4, 8) bytes, CPU 1's slot holding 0xaa.
    expect(map.sysLookup(u32(1))).toEqual(hex("0000000000000000" + "aa00000000000000" + "0000000000000000"));
  });

  it("takes every CPU's value from the syscall side, padding included", () => {
    const map = make({ type: MapType.PERCPU_ARRAY, valueSize: 3 }, { cpus: 2 });
    expect(map.sysUpdate(u32(0), hex("aabbccdd11223344" + "0102030000000000"), 0)).toBe(0);
    expect(map.lookup(u32(0), 0)).toEqual(hex("aabbcc"));
    expect(map.lookup(u32(0), 1)).toEqual(hex("010203"));
    expect(map.sysLookup(u32(0))).toEqual(hex("aabbccdd11223344" + "0102030000000000"));
  });
});
