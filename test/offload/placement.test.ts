// Map placement counts what the firmware model will occupy when the image is
// loaded (hw-model's MapRuntime): a plan whose maps fit on paper must load.
// Found on test/fixtures/realworld3/rule_filter.o: two 10,000-entry hashes and
// a 1,000-entry one were planned into IMEM as 2,688,000 bytes, and loading
// the image refused them as 4,325,376 bytes (tables of 16,384 and 1,024
// entry lines), so `run` stopped with exit 2.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MapRuntime } from "../../hw-model/firmware/map-runtime.ts";
import { createMap, MapType, type MapDef } from "../../src/maps/index.ts";
import { footprintBytes, placeMaps } from "../../src/offload/placement.ts";
import { preset } from "./corpus.ts";

const nfp = preset();
const hash = (name: string, maxEntries: number): MapDef => ({ name, type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries, flags: 0 });

describe("map footprints", () => {
  it("a 10,000-entry hash takes a 16,384-line table of 128-byte lines (nfp-4000: one key per line)", () => {
    // nfp-4000.json: hashEntryBytes 128, hashEntriesPerBucket 1; the table is a power of two.
    expect(footprintBytes(hash("h", 10_000), nfp)).toBe(16_384 * 128);
    expect(footprintBytes(hash("h", 1_024), nfp)).toBe(1_024 * 128);
    expect(footprintBytes(hash("h", 1_025), nfp)).toBe(2_048 * 128);
  });

  it("equal what the firmware model occupies, by hashmap.uc's table rule, over many map and table shapes", () => {
    // The rule (Netronome nic-firmware apps/nic/maps/hashmap.uc, as the preset cites it): a hashed map gets a
    // table of 2^k buckets, the smallest power of two holding max_entries keys at hashEntriesPerBucket each, and
    // one hashEntryBytes line per key it can hold, never fewer lines than buckets; an array outside the table is
    // its packed values; a perf event array keeps nothing on the card (its records go to the host).
    const shapes = fc.record({
      type: fc.constantFrom(MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH, MapType.LRU_PERCPU_HASH, MapType.ARRAY, MapType.PERCPU_ARRAY, MapType.PERF_EVENT_ARRAY),
      maxEntries: fc.oneof(fc.integer({ min: 1, max: 70_000 }), fc.integer({ min: 0, max: 16 }).chain((k) => fc.constantFrom(2 ** k - 1, 2 ** k, 2 ** k + 1).filter((n) => n >= 1))),
      keySize: fc.integer({ min: 1, max: 64 }),
      valueSize: fc.integer({ min: 1, max: 64 }),
      entriesPerBucket: fc.integer({ min: 1, max: 8 }),
      entryBytes: fc.constantFrom(32, 64, 128, 256),
      arraysUseHashTable: fc.boolean(),
    });
    fc.assert(
      fc.property(shapes, (shape) => {
        const fixedKeys = shape.type === MapType.ARRAY || shape.type === MapType.PERCPU_ARRAY || shape.type === MapType.PERF_EVENT_ARRAY;
        const def: MapDef = { name: "m", type: shape.type, keySize: fixedKeys ? 4 : shape.keySize, valueSize: shape.type === MapType.PERF_EVENT_ARRAY ? 4 : shape.valueSize, maxEntries: shape.maxEntries, flags: 0 };
        const firmware = { ...nfp.firmware, hashEntriesPerBucket: shape.entriesPerBucket, hashEntryBytes: shape.entryBytes, arraysUseHashTable: shape.arraysUseHashTable };
        const runtime = new MapRuntime(createMap(def), 0, firmware.hashEntriesPerBucket, firmware.hashEntryBytes, firmware.arraysUseHashTable);
        const array = shape.type === MapType.ARRAY || shape.type === MapType.PERCPU_ARRAY;
        const hashed = shape.type !== MapType.PERF_EVENT_ARRAY && (!array || shape.arraysUseHashTable);
        const keysPerBucket = Math.ceil(def.maxEntries / shape.entriesPerBucket);
        const buckets = keysPerBucket <= 1 ? 1 : 2 ** (32 - Math.clz32(keysPerBucket - 1));
        const expected = shape.type === MapType.PERF_EVENT_ARRAY ? 0 : hashed ? Math.max(def.maxEntries, buckets) * shape.entryBytes : def.maxEntries * def.valueSize;
        const planned = footprintBytes(def, { ...nfp, firmware });
        expect(planned, "placement").toBe(expected);
        expect(runtime.footprintBytes(), "firmware runtime").toBe(expected);
        expect(runtime.bucketFill.length, "the runtime's table").toBe(hashed ? buckets : 0);
      }),
      { numRuns: 150 },
    );
  });

  it("send a map to external memory when internal memory's table lines run out", () => {
    // IMEM is 4 MiB on nfp-4000: two 16,384-line tables (2 MiB each) fill it; the third goes to EMEM.
    const maps = [hash("a", 10_000), hash("b", 10_000), hash("c", 1_000)];
    const placed = placeMaps(maps, new Map([[0, 3], [1, 2], [2, 1]]), nfp);
    expect(placed.map((p) => p.unit)).toEqual(["imem0", "imem0", "emem0"]);
  });
});
