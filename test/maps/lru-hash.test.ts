// LRU hashes: eviction traced by hand through kernel/bpf/bpf_lru_list.c
// (target_free = clamp(max_entries / cpus / 2, 1, 128); the 9th insert into a
// full 8-entry map on one CPU evicts a batch of 4 from the inactive tail),
// and properties: never more than max_entries elements, a fresh key is
// always found right after its update.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex } from "../../src/maps/bytes.ts";
import { Errno } from "../../src/maps/errno.ts";
import { MapFlag } from "../../src/maps/flags.ts";
import { MapType, UpdateFlag } from "../../src/maps/types.ts";
import { allKeys, make, u32, u64 } from "./helpers.ts";

function presentKeys(map: ReturnType<typeof make>): number[] {
  return allKeys(map)
    .map((key) => new DataView(key.buffer, key.byteOffset).getUint32(0, true))
    .sort((a, b) => a - b);
}

describe("lru_hash eviction", () => {
  it("evicts the four oldest keys when the ninth arrives (one CPU, eight entries)", () => {
    const map = make({ type: MapType.LRU_HASH, maxEntries: 8 });
    for (let key = 1; key <= 9; key++) expect(map.update(u32(key), u64(key), 0, 0)).toBe(0);
    expect(presentKeys(map)).toEqual([5, 6, 7, 8, 9]);
  });

  it("gives a key a program looked up a second chance", () => {
    const map = make({ type: MapType.LRU_HASH, maxEntries: 8 });
    for (let key = 1; key <= 8; key++) map.update(u32(key), u64(key), 0, 0);
    expect(map.lookup(u32(1), 0)).toEqual(u64(1));
    map.update(u32(9), u64(9), 0, 0);
    expect(presentKeys(map)).toEqual([1, 6, 7, 8, 9]);
  });

  it("does not count a syscall lookup as a reference", () => {
    const map = make({ type: MapType.LRU_HASH, maxEntries: 8 });
    for (let key = 1; key <= 8; key++) map.update(u32(key), u64(key), 0, 0);
    expect(map.sysLookup(u32(1))).toEqual(u64(1));
    map.update(u32(9), u64(9), 0, 0);
    expect(presentKeys(map)).toEqual([5, 6, 7, 8, 9]);
  });

  it("does not count readValue (bpf_for_each_map_elem's walk) as a reference, and its view is live", () => {
    const map = make({ type: MapType.LRU_HASH, maxEntries: 8 });
    for (let key = 1; key <= 8; key++) map.update(u32(key), u64(key), 0, 0);
    const view = map.readValue!(u32(1), 0)!;
    expect(view).toEqual(u64(1));
    view[0] = 42;
    expect(map.sysLookup(u32(1))).toEqual(u64(42));
    map.update(u32(9), u64(9), 0, 0);
    expect(presentKeys(map)).toEqual([5, 6, 7, 8, 9]);
  });

  it("never refuses a new key for lack of room, and a failed BPF_NOEXIST still frees room", () => {
    const map = make({ type: MapType.LRU_HASH, maxEntries: 8 });
    for (let key = 1; key <= 8; key++) map.update(u32(key), u64(key), 0, 0);
    // The node for the update is taken (evicting 1..4) before the key is found present.
    expect(map.update(u32(8), u64(0), UpdateFlag.NOEXIST, 0)).toBe(-Errno.EEXIST);
    expect(presentKeys(map)).toEqual([5, 6, 7, 8]);
  });

  it("rounds max_entries up to a multiple of the CPUs with BPF_F_NO_COMMON_LRU", () => {
    const map = make({ type: MapType.LRU_HASH, maxEntries: 5, flags: MapFlag.NO_COMMON_LRU }, { cpus: 2 });
    expect(map.def.maxEntries).toBe(6);
  });
});

const lruKinds = [
  { title: "lru_hash", type: MapType.LRU_HASH, flags: 0 },
  { title: "lru_hash with per-CPU lists", type: MapType.LRU_HASH, flags: MapFlag.NO_COMMON_LRU },
  { title: "lru_percpu_hash", type: MapType.LRU_PERCPU_HASH, flags: 0 },
];

describe("lru capacity", () => {
  for (const kind of lruKinds) {
    it(`${kind.title}: never holds more than max_entries and always finds the key just written`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 1, max: 12 }),
          fc.array(fc.tuple(fc.constantFrom("update", "lookup", "delete"), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3 })), { maxLength: 150 }),
          (cpus, maxEntries, ops) => {
            const map = make({ type: kind.type, maxEntries, flags: kind.flags }, { cpus });
            for (const [name, key, cpu] of ops) {
              const onCpu = cpu % cpus;
              if (name === "update") {
                const result = map.update(u32(key), u64(key), 0, onCpu);
                if (result === 0) expect(map.lookup(u32(key), onCpu)).toEqual(u64(key));
                else expect(result).toBe(-Errno.ENOMEM);
              } else if (name === "lookup") {
                // A per-CPU value is only known on the CPU that wrote it.
                const value = map.lookup(u32(key), onCpu);
                if (value !== undefined && kind.type !== MapType.LRU_PERCPU_HASH) expect(value).toEqual(u64(key));
              } else {
                map.delete(u32(key));
              }
              const keys = allKeys(map).map(toHex);
              expect(keys.length).toBeLessThanOrEqual(map.def.maxEntries);
              expect(new Set(keys).size).toBe(keys.length);
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  }
});
