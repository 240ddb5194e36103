// devmap, devmap_hash, cpumap, xskmap: the answers a 6.18 kernel gave to the
// same syscall-side operations through bpf() (test/maps/kernel-probe.c),
// and what bpf_redirect_map finds.

import { describe, expect, it } from "vitest";
import { Errno } from "../../src/maps/errno.ts";
import { MapType, UpdateFlag } from "../../src/maps/types.ts";
import { allKeys, hex, make, u32 } from "./helpers.ts";

describe("devmap", () => {
  it("stores ifindexes at indexes, empties a slot with ifindex 0, and refuses BPF_NOEXIST always", () => {
    const map = make({ type: MapType.DEVMAP, valueSize: 4 });
    expect(map.sysUpdate(u32(0), u32(1), UpdateFlag.ANY)).toBe(0);
    expect(map.sysUpdate(u32(0), u32(1), UpdateFlag.NOEXIST)).toBe(-Errno.EEXIST);
    expect(map.sysUpdate(u32(1), u32(1), UpdateFlag.NOEXIST)).toBe(-Errno.EEXIST);
    expect(map.sysUpdate(u32(1), u32(1), UpdateFlag.EXIST)).toBe(0);
    expect(map.sysUpdate(u32(4), u32(1), UpdateFlag.ANY)).toBe(-Errno.E2BIG);
    expect(map.redirectTarget?.(0)).toEqual({ kind: "device", ifindex: 1, programFd: 0 });
    expect(map.sysUpdate(u32(0), u32(0), UpdateFlag.ANY)).toBe(0);
    expect(map.sysLookup(u32(0))).toBe(-Errno.ENOENT);
    expect(map.redirectTarget?.(0)).toBeUndefined();
  });

  it("deletes any slot below max_entries without complaint, EINVAL beyond; walks every index", () => {
    const map = make({ type: MapType.DEVMAP, valueSize: 4 });
    expect(map.sysDelete(u32(2))).toBe(0);
    expect(map.sysDelete(u32(2))).toBe(0);
    expect(map.sysDelete(u32(9))).toBe(-Errno.EINVAL);
    expect(allKeys(map)).toEqual([u32(0), u32(1), u32(2), u32(3)]);
  });

  it("accepts only known devices when given the list, and no program with ifindex 0", () => {
    const map = make({ type: MapType.DEVMAP, valueSize: 8 }, { netdevs: [1, 2] });
    expect(map.sysUpdate(u32(0), hex("e8030000ffffffff"), 0)).toBe(-Errno.EINVAL);
    expect(map.sysUpdate(u32(0), hex("0000000005000000"), 0)).toBe(-Errno.EINVAL);
    expect(map.sysUpdate(u32(0), hex("02000000ffffffff"), 0)).toBe(0);
    expect(map.sysLookup(u32(0))).toEqual(hex("0200000000000000"));
  });
});

describe("devmap_hash", () => {
  it("buckets by key & (n - 1), newest first: keys 5, 6, 1, 13 in 4 buckets walk 13, 1, 5, 6", () => {
    const map = make({ type: MapType.DEVMAP_HASH, valueSize: 4 });
    for (const key of [5, 6, 1, 13]) expect(map.sysUpdate(u32(key), u32(1), 0)).toBe(0);
    expect(allKeys(map)).toEqual([u32(13), u32(1), u32(5), u32(6)]);
    expect(map.sysGetNextKey(u32(7))).toEqual(u32(13));
  });

  it("is full at max_entries (E2BIG), refuses ifindex 0 (EINVAL), and ENOENT for a missing delete", () => {
    const map = make({ type: MapType.DEVMAP_HASH, valueSize: 4 });
    for (const key of [5, 6, 1, 13]) map.sysUpdate(u32(key), u32(1), 0);
    expect(map.sysUpdate(u32(21), u32(1), 0)).toBe(-Errno.E2BIG);
    expect(map.sysUpdate(u32(5), u32(1), UpdateFlag.NOEXIST)).toBe(-Errno.EEXIST);
    expect(map.sysDelete(u32(5))).toBe(0);
    expect(map.sysDelete(u32(5))).toBe(-Errno.ENOENT);
    expect(map.sysUpdate(u32(8), u32(0), 0)).toBe(-Errno.EINVAL);
    expect(map.redirectTarget?.(13)).toEqual({ kind: "device", ifindex: 1, programFd: 0 });
  });
});

describe("cpumap", () => {
  it("checks queue size and CPU: EOVERFLOW above 16384, ENODEV for a CPU the machine lacks", () => {
    const map = make({ type: MapType.CPUMAP, valueSize: 4 }, { cpus: 2 });
    expect(map.sysUpdate(u32(0), u32(256), 0)).toBe(0);
    expect(map.sysUpdate(u32(0), u32(256), UpdateFlag.NOEXIST)).toBe(-Errno.EEXIST);
    expect(map.sysUpdate(u32(2), u32(256), 0)).toBe(-Errno.ENODEV);
    expect(map.sysUpdate(u32(4), u32(256), 0)).toBe(-Errno.E2BIG);
    expect(map.sysUpdate(u32(0), u32(16385), 0)).toBe(-Errno.EOVERFLOW);
    expect(map.sysUpdate(u32(1), u32(16384), 0)).toBe(0);
    expect(map.redirectTarget?.(1)).toEqual({ kind: "cpu", cpu: 1, queueSize: 16384, programFd: 0 });
    expect(map.sysUpdate(u32(0), u32(0), 0)).toBe(0);
    expect(map.sysLookup(u32(0))).toBe(-Errno.ENOENT);
    expect(map.sysDelete(u32(9))).toBe(-Errno.EINVAL);
  });
});

describe("xskmap", () => {
  it("binds sockets per queue, honours NOEXIST/EXIST, and cannot be read from user space", () => {
    const map = make({ type: MapType.XSKMAP, valueSize: 4 });
    expect(map.sysUpdate(u32(0), u32(7), UpdateFlag.EXIST)).toBe(-Errno.ENOENT);
    expect(map.sysUpdate(u32(0), u32(7), UpdateFlag.ANY)).toBe(0);
    expect(map.sysUpdate(u32(0), u32(8), UpdateFlag.NOEXIST)).toBe(-Errno.EEXIST);
    expect(map.sysLookup(u32(0))).toBe(-Errno.EOPNOTSUPP);
    expect(map.redirectTarget?.(0)).toEqual({ kind: "xsk", queueIndex: 0, socket: 7 });
    expect(map.sysDelete(u32(0))).toBe(0);
    expect(map.sysDelete(u32(9))).toBe(-Errno.EINVAL);
  });
});
