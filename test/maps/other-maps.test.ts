// prog_array, perf_event_array, maps of maps, queue, stack and ringbuf, with
// expectations from the kernel sources named in each module and from a 6.18
// kernel's answers through bpf().

import { describe, expect, it } from "vitest";
import { Errno } from "../../src/maps/errno.ts";
import { RingbufQuery } from "../../src/maps/flags.ts";
import { MapType, UpdateFlag } from "../../src/maps/types.ts";
import type { RingbufOps } from "../../src/maps/types.ts";
import { make, u32, u64 } from "./helpers.ts";

describe("prog_array", () => {
  it("holds program indexes for tail calls; BPF_ANY only; ENOENT/E2BIG as the kernel", () => {
    const map = make({ type: MapType.PROG_ARRAY, valueSize: 4 });
    expect(map.sysUpdate(u32(0), u32(3), UpdateFlag.NOEXIST)).toBe(-Errno.EINVAL);
    expect(map.sysUpdate(u32(9), u32(3), UpdateFlag.ANY)).toBe(-Errno.E2BIG);
    expect(map.sysLookup(u32(1))).toBe(-Errno.ENOENT);
    expect(map.sysUpdate(u32(1), u32(3), UpdateFlag.ANY)).toBe(0);
    expect(map.tailCallTarget?.(1)).toBe(3);
    expect(map.tailCallTarget?.(2)).toBeUndefined();
    expect(map.sysLookup(u32(1))).toEqual(u32(3));
    expect(map.sysDelete(u32(1))).toBe(0);
    expect(map.sysDelete(u32(1))).toBe(-Errno.ENOENT);
    expect(map.sysDelete(u32(9))).toBe(-Errno.E2BIG);
  });
});

describe("perf_event_array", () => {
  it("outputs to the current CPU's event; ENOENT without one, E2BIG past the end, EOPNOTSUPP for another CPU's", () => {
    const map = make({ type: MapType.PERF_EVENT_ARRAY, valueSize: 4 }, { cpus: 2 });
    const current = 0xffff_ffffn;
    expect(map.perfEventOutput?.(current, u32(1), 0)).toBe(-Errno.ENOENT);
    map.sysUpdate(u32(0), u32(40), 0);
    map.sysUpdate(u32(1), u32(41), 0);
    expect(map.perfEventOutput?.(current, u32(1), 0)).toBe(0);
    expect(map.perfEventOutput?.(1n, u32(2), 0)).toBe(-Errno.EOPNOTSUPP);
    expect(map.perfEventOutput?.(7n, u32(2), 0)).toBe(-Errno.E2BIG);
    expect(map.sysLookup(u32(0))).toBe(-Errno.ENOTSUPP);
  });
});

describe("maps of maps", () => {
  const inner = { type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, name: "inner" };

  it("stores matching inner maps and refuses others with EINVAL", () => {
    const outer = make({ type: MapType.ARRAY_OF_MAPS, valueSize: 4, inner });
    const good = make({ ...inner, maxEntries: 99 });
    const bad = make({ ...inner, valueSize: 4 });
    const maps = new Map<number, typeof good>([[10, good], [11, bad]]);
    const resolving = make({ type: MapType.ARRAY_OF_MAPS, valueSize: 4, inner }, { resolveMap: (id) => maps.get(id) });
    expect(resolving.sysUpdate(u32(0), u32(10), 0)).toBe(0);
    expect(resolving.sysUpdate(u32(1), u32(11), 0)).toBe(-Errno.EINVAL);
    expect(resolving.sysUpdate(u32(1), u32(12), 0)).toBe(-Errno.EBADF);
    expect(resolving.sysLookup(u32(0))).toEqual(u32(10));
    expect(resolving.innerMap?.(u32(0))).toBe(good);
    expect(outer.sysUpdate(u32(0), u32(10), 0)).toBe(-Errno.EBADF);
  });

  it("compares an array inner map's max_entries unless the template has BPF_F_INNER_MAP", () => {
    const template = { ...inner, type: MapType.ARRAY };
    const arrays = make({ type: MapType.HASH_OF_MAPS, valueSize: 4, inner: template }, { resolveMap: () => make({ ...template, maxEntries: 8 }) });
    expect(arrays.sysUpdate(u32(0), u32(1), 0)).toBe(-Errno.EINVAL);
    const flexible = make({ type: MapType.HASH_OF_MAPS, valueSize: 4, inner: { ...template, flags: 1 << 12 } }, {
      resolveMap: () => make({ ...template, maxEntries: 8, flags: 1 << 12 }),
    });
    expect(flexible.sysUpdate(u32(0), u32(1), 0)).toBe(0);
    expect(flexible.sysUpdate(u32(0), u32(1), UpdateFlag.NOEXIST)).toBe(-Errno.EEXIST);
  });
});

describe("queue and stack", () => {
  it("pops the oldest from a queue and the newest from a stack; BPF_EXIST overwrites the oldest when full", () => {
    const queue = make({ type: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 2 });
    const stack = make({ type: MapType.STACK, keySize: 0, valueSize: 4, maxEntries: 2 });
    for (const map of [queue, stack]) {
      expect(map.push?.(u32(1), UpdateFlag.NOEXIST)).toBe(-Errno.EINVAL);
      expect(map.push?.(u32(1), 0)).toBe(0);
      expect(map.push?.(u32(2), 0)).toBe(0);
      expect(map.push?.(u32(3), 0)).toBe(-Errno.E2BIG);
      expect(map.push?.(u32(3), UpdateFlag.EXIST)).toBe(0);
    }
    expect([queue.pop?.(), queue.pop?.(), queue.pop?.()]).toEqual([u32(2), u32(3), -Errno.ENOENT]);
    expect([stack.pop?.(), stack.pop?.(), stack.pop?.()]).toEqual([u32(3), u32(2), -Errno.ENOENT]);
    expect(queue.sysDelete(undefined)).toBe(-Errno.EINVAL);
    expect(queue.sysGetNextKey(undefined)).toBe(-Errno.EINVAL);
  });
});

describe("ringbuf", () => {
  const ring = (): RingbufOps => make({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 }).ringbuf as RingbufOps;

  it("accounts 8 header bytes per record, rounded up to 8, and refuses to fill the ring completely", () => {
    const rb = ring();
    expect(rb.output(new Uint8Array(5), 0)).toBe(0);
    expect(rb.query(RingbufQuery.PROD_POS)).toBe(16n);
    // 4096 - 16 = 4080 left; a record of 4072 data bytes needs 4080, bringing the producer 4096 ahead: refused.
    expect(rb.reserve(4072, 0)).toBeUndefined();
    expect(rb.reserve(4064, 0)).toBeDefined();
    expect(rb.output(new Uint8Array(1), 0)).toBe(-Errno.EAGAIN);
    expect(rb.output(new Uint8Array(1), 4)).toBe(-Errno.EINVAL);
    expect(rb.reserve(8, 1)).toBeUndefined();
  });

  it("delivers submitted records in order, skips discarded ones, and waits for one still being written", () => {
    const rb = ring();
    const first = rb.reserve(4, 0);
    const second = rb.reserve(4, 0);
    const third = rb.reserve(4, 0);
    if (first === undefined || second === undefined || third === undefined) throw new Error("reserve failed");
    first.data.set(u32(1));
    third.data.set(u32(3));
    rb.submit(third, 0);
    rb.discard(first, 0);
    expect(rb.consume()).toEqual([]);
    rb.submit(second, 0);
    expect(rb.consume()).toEqual([new Uint8Array(4), u32(3)]);
    expect(rb.query(RingbufQuery.AVAIL_DATA)).toBe(0n);
  });

  it("has no elements for the syscall side", () => {
    const map = make({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 });
    expect(map.sysLookup(undefined)).toBe(-Errno.ENOTSUPP);
    expect(map.sysGetNextKey(undefined)).toBe(-Errno.ENOTSUPP);
    expect(map.sysUpdate(undefined, u64(0), 0)).toBe(-Errno.ENOTSUPP);
  });
});
