// Definitions the kernel refuses at BPF_MAP_CREATE (errnos as a 6.18 kernel
// answered them through bpf()), and the adjustments it makes.

import { describe, expect, it } from "vitest";
import { createMap } from "../../src/maps/create.ts";
import { MapError } from "../../src/maps/map-error.ts";
import { MapFlag } from "../../src/maps/flags.ts";
import { MapType } from "../../src/maps/types.ts";
import type { MapDef } from "../../src/maps/types.ts";

const base: MapDef = { name: "flows", type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 };

const refused: [string, Partial<MapDef>, string][] = [
  ["a hash with key size 0", { keySize: 0 }, "EINVAL"],
  ["a hash with value size 0", { valueSize: 0 }, "EINVAL"],
  ["a hash with max_entries 0", { maxEntries: 0 }, "EINVAL"],
  ["BPF_F_NO_COMMON_LRU on a plain hash", { flags: MapFlag.NO_COMMON_LRU }, "EINVAL"],
  ["an LRU hash without preallocation", { type: MapType.LRU_HASH, flags: MapFlag.NO_PREALLOC }, "ENOTSUPP"],
  ["an array with an 8-byte key", { type: MapType.ARRAY, keySize: 8 }, "EINVAL"],
  ["an array with BPF_F_NO_PREALLOC", { type: MapType.ARRAY, flags: MapFlag.NO_PREALLOC }, "EINVAL"],
  ["an array with BPF_F_ZERO_SEED", { type: MapType.ARRAY, flags: MapFlag.ZERO_SEED }, "EINVAL"],
  ["an LPM trie without BPF_F_NO_PREALLOC", { type: MapType.LPM_TRIE, keySize: 8 }, "EINVAL"],
  ["an LPM trie with a 4-byte key", { type: MapType.LPM_TRIE, keySize: 4, flags: MapFlag.NO_PREALLOC }, "EINVAL"],
  ["an LPM trie with a 261-byte key", { type: MapType.LPM_TRIE, keySize: 261, flags: MapFlag.NO_PREALLOC }, "EINVAL"],
  ["a queue with a key", { type: MapType.QUEUE, keySize: 4 }, "EINVAL"],
  ["a ring buffer of 4095 bytes", { type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4095 }, "EINVAL"],
  ["a devmap with a 12-byte value", { type: MapType.DEVMAP, valueSize: 12 }, "EINVAL"],
  ["an xskmap with an 8-byte value", { type: MapType.XSKMAP, valueSize: 8 }, "EINVAL"],
  ["a prog_array with an 8-byte value", { type: MapType.PROG_ARRAY, valueSize: 8 }, "EINVAL"],
  ["a cpumap larger than NR_CPUS", { type: MapType.CPUMAP, maxEntries: 100_000 }, "E2BIG"],
  ["an array of maps without an inner template", { type: MapType.ARRAY_OF_MAPS }, "EBADF"],
];

describe("createMap", () => {
  for (const [title, change, errno] of refused) {
    it(`refuses ${title} with ${errno}, naming the map`, () => {
      const attempt = (): unknown => createMap({ ...base, ...change });
      expect(attempt).toThrow(MapError);
      expect(attempt).toThrow(new RegExp(`map "flows" .*${errno}`));
    });
  }

  it("accepts what the kernel accepts", () => {
    expect(() => createMap({ ...base, type: MapType.LPM_TRIE, keySize: 260, flags: MapFlag.NO_PREALLOC })).not.toThrow();
    expect(() => createMap({ ...base, keySize: 600 })).not.toThrow();
    expect(() => createMap({ ...base, type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 8192 })).not.toThrow();
  });

  it("refuses a type it does not simulate, and a bad CPU count", () => {
    expect(() => createMap({ ...base, type: MapType.SOCKMAP })).toThrow(/not simulated/);
    expect(() => createMap(base, { cpus: 0 })).toThrow(MapError);
  });

  it("rounds an LRU map with per-CPU lists up to a multiple of the CPUs, like the kernel's map info (5 -> 6 on 2 CPUs)", () => {
    expect(createMap({ ...base, type: MapType.LRU_PERCPU_HASH, maxEntries: 5, flags: MapFlag.NO_COMMON_LRU }, { cpus: 2 }).def.maxEntries).toBe(6);
    expect(createMap({ ...base, type: MapType.LRU_PERCPU_HASH, maxEntries: 5 }, { cpus: 2 }).def.maxEntries).toBe(5);
  });
});
