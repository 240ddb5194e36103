// Bloom filters in the real kernel: BPF_MAP_CREATE carries the object's map_extra
// (the hash-function count, include/uapi/linux/bpf.h: "the lowest 4 bits indicate
// the number of hash functions (if 0, the bloom filter will default to using 5)"),
// and a bloom filter is never read key by key (its get_next_key is EOPNOTSUPP).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.ts";
import { dumpMaps, instantiateObject, kernelMapNamed, withKernel } from "../../src/kernel/index.ts";
import { BloomFilterMap, MapFlag, MapType, type MapDef } from "../../src/maps/index.ts";
import { kernelAvailable } from "./kernel-gate.ts";
import { u32le } from "./hand-asm.ts";

// One entry: max_entries * nr_hash_funcs / 5 * 7 bits is under 64 for 3 and for 5 functions, so both
// filters have the same 64-bit array (kernel/bpf/bloom_filter.c, bloom_map_alloc) and differ only in k.
// BPF_F_ZERO_SEED makes the kernel's hashes reproducible.
const bloomDef = (mapExtra: number): MapDef => ({
  name: "bloom",
  type: MapType.BLOOM_FILTER,
  keySize: 0,
  valueSize: 4,
  maxEntries: 1,
  flags: MapFlag.ZERO_SEED,
  mapExtra,
});
const PUSHED = [11, 22, 33];
const PROBES = Array.from({ length: 4096 }, (_, i) => i);

// The probe values a filter answers "maybe present" for.
const positives = (contains: (value: Uint8Array) => boolean): number[] => PROBES.filter((v) => contains(u32le(v)));

function modelPositives(mapExtra: number): number[] {
  const model = new BloomFilterMap(bloomDef(mapExtra), 1);
  for (const v of PUSHED) model.push(u32le(v), 0);
  return positives((value) => model.contains(value) === 0);
}

const ddosSets = () => {
  const path = new URL("../fixtures/realworld2/ddos_sets.o", import.meta.url);
  return loadObject(readFileSync(path), "ddos_sets.o");
};

describe.skipIf(!kernelAvailable)("bloom filters in the kernel", () => {
  it("keeps the map_extra it was created with, as bpf_map_info reports", async () => {
    await withKernel((k) => {
      expect(k.mapInfo(k.createMap(bloomDef(3))).mapExtra).toBe(3);
      expect(k.mapInfo(k.createMap({ ...bloomDef(0), mapExtra: undefined })).mapExtra).toBe(0);
    });
  });

  it("hashes with map_extra's 3 functions: its false positives are those of k = 3, not the default 5", async () => {
    const three = modelPositives(3);
    const five = modelPositives(5);
    // The probe set tells the two apart (else the test could not fail).
    expect(three).not.toEqual(five);
    await withKernel((k) => {
      const map = k.createMap(bloomDef(3));
      for (const v of PUSHED) k.update(map, new Uint8Array(0), u32le(v));
      const kernel = positives((value) => k.bloomContains(map, value));
      for (const v of PUSHED) expect(kernel).toContain(v);
      expect(kernel).toEqual(three);
    });
  });

  it("gives ddos_sets.o's bad_sources the 3 hash functions its source declares (__uint(map_extra, 3))", async () => {
    await withKernel((k) => {
      const instance = instantiateObject(k, ddosSets());
      expect(k.mapInfo(kernelMapNamed(instance, "bad_sources")).mapExtra).toBe(3);
    });
  });

  it("is not dumped: dumpMap names the map instead of failing in get_next_key, and dumpMaps leaves it out", async () => {
    await withKernel((k) => {
      const map = k.createMap(bloomDef(3));
      expect(() => k.dumpMap(map)).toThrow(/map 'bloom' \(map type 30\) cannot be read key by key/);
      const instance = instantiateObject(k, ddosSets());
      // ddos_sets.c: the bloom filter, the stack and the queue have no keys; the arrays, map of maps and LRU hash do.
      expect([...dumpMaps(k, instance).keys()].sort()).toEqual(["quarantine", "tenant_bronze", "tenant_gold", "tenants"]);
    });
  });
});
