// Map placement counts what the firmware model will occupy when the image is
// loaded (hw-model's MapRuntime): a plan whose maps fit on paper must load.
// Found on test/fixtures/realworld3/rule_filter.o: two 10,000-entry hashes and
// a 1,000-entry one were planned into IMEM as 2,688,000 bytes, and loading
// the image refused them as 4,325,376 bytes (tables of 16,384 and 1,024
// entry lines), so `run` stopped with exit 2.
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

  it("equal what the firmware model occupies for every kind of offloadable map and size", () => {
    const fw = nfp.firmware;
    for (const type of [MapType.HASH, MapType.ARRAY, MapType.LRU_HASH]) {
      for (const maxEntries of [1, 2, 3, 100, 1000, 4096, 10_000, 65_536]) {
        const def: MapDef = { name: "m", type, keySize: 4, valueSize: 8, maxEntries, flags: 0 };
        const runtime = new MapRuntime(createMap(def), 0, fw.hashEntriesPerBucket, fw.hashEntryBytes, fw.arraysUseHashTable);
        expect(footprintBytes(def, nfp), `type ${type}, ${maxEntries} entries`).toBe(runtime.footprintBytes());
      }
    }
  });

  it("send a map to external memory when internal memory's table lines run out", () => {
    // IMEM is 4 MiB on nfp-4000: two 16,384-line tables (2 MiB each) fill it; the third goes to EMEM.
    const maps = [hash("a", 10_000), hash("b", 10_000), hash("c", 1_000)];
    const placed = placeMaps(maps, new Map([[0, 3], [1, 2], [2, 1]]), nfp);
    expect(placed.map((p) => p.unit)).toEqual(["imem0", "imem0", "emem0"]);
  });
});
