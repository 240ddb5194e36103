// Loading map contents from JSON, dumping them, round trips, malformed
// input, diffs and clones.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseByteSpec } from "../../src/maps/byte-spec.ts";
import { cloneMaps } from "../../src/maps/clone.ts";
import { diffMaps, formatMapDiff } from "../../src/maps/diff.ts";
import { dumpMap, formatMapDump } from "../../src/maps/dump.ts";
import { loadMapFile, loadMapJson } from "../../src/maps/load.ts";
import { MapError } from "../../src/maps/map-error.ts";
import { HashOfMaps } from "../../src/maps/map-in-map.ts";
import { MapFlag } from "../../src/maps/flags.ts";
import { MapType } from "../../src/maps/types.ts";
import { hex, make, u32, u64 } from "./helpers.ts";

describe("byte notations", () => {
  it("reads hex, byte arrays, little- and big-endian integers, addresses and structs", () => {
    const bytesOf = (spec: unknown): Uint8Array => {
      const parsed = parseByteSpec(spec);
      if (!("bytes" in parsed)) throw new Error(parsed.problem);
      return parsed.bytes;
    };
    expect(bytesOf("0x0a 00:00_01")).toEqual(hex("0a000001"));
    expect(bytesOf([10, 0, 0, 1])).toEqual(hex("0a000001"));
    expect(bytesOf({ u32: 5 })).toEqual(hex("05000000"));
    expect(bytesOf({ i16: -2 })).toEqual(hex("feff"));
    expect(bytesOf({ u64: "0xffffffffffffffff" })).toEqual(hex("ffffffffffffffff"));
    expect(bytesOf({ be16: 80 })).toEqual(hex("0050"));
    expect(bytesOf({ ipv4: "192.168.1.2" })).toEqual(hex("c0a80102"));
    expect(bytesOf({ prefix: "10.0.0.0/8" })).toEqual(hex("080000000a000000"));
    expect(bytesOf([{ u32: 1 }, { be16: 443 }, "00", { zero: 1 }])).toEqual(hex("0100000001bb0000"));
  });

  it("says what is wrong with a bad notation", () => {
    const problem = (spec: unknown): string => {
      const parsed = parseByteSpec(spec);
      return "problem" in parsed ? parsed.problem : "no problem";
    };
    expect(problem("abc")).toMatch(/odd number of digits/);
    expect(problem("zz")).toMatch(/not hex/);
    expect(problem({ u8: 256 })).toMatch(/does not fit in u8/);
    expect(problem({ u32: 1, u16: 2 })).toMatch(/exactly one field/);
    expect(problem({ float: 1 })).toMatch(/unknown field "float"/);
    expect(problem([1, 300])).toMatch(/byte 1 \(300\)/);
    expect(problem({ ipv4: "1.2.3" })).toMatch(/not a dotted IPv4/);
    expect(problem(null)).toMatch(/not a byte notation/);
  });

  it("never throws on arbitrary JSON", () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      parseByteSpec(value);
    }), { numRuns: 500 });
  });
});

describe("loadMapJson", () => {
  it("fills a hash from structured entries", () => {
    const map = make({ type: MapType.HASH });
    loadMapJson(map, { map: "m", type: "hash", entries: [{ key: { u32: 5 }, value: { u64: 10 } }, { key: "06000000", value: [1, 0, 0, 0, 0, 0, 0, 0] }] }, "seed.json");
    expect(map.lookup(u32(5), 0)).toEqual(u64(10));
    expect(map.lookup(u32(6), 0)).toEqual(u64(1));
  });

  it("gives per-CPU values one per CPU, or the same on every CPU", () => {
    const map = make({ type: MapType.PERCPU_HASH, valueSize: 4 }, { cpus: 2 });
    loadMapJson(map, [{ key: { u32: 1 }, value: { percpu: [{ u32: 7 }, { u32: 8 }] } }, { key: { u32: 2 }, value: { u32: 9 } }], "pc.json");
    expect([map.lookup(u32(1), 0), map.lookup(u32(1), 1)]).toEqual([u32(7), u32(8)]);
    expect([map.lookup(u32(2), 0), map.lookup(u32(2), 1)]).toEqual([u32(9), u32(9)]);
  });

  it("names the file, the entry and the problem for bad input", () => {
    const map = make({ type: MapType.HASH, maxEntries: 1 });
    const load = (json: unknown) => (): void => loadMapJson(map, json, "bad.json");
    expect(load({ entries: [{ key: { u16: 1 }, value: { u64: 1 } }] })).toThrow(/bad\.json: map "m", entries\[0\]\.key: the key is 2 bytes, the map's key size is 4/);
    expect(load({ entries: [{ key: { u32: 1 } }] })).toThrow(/entries\[0\]: the entry has no "value"/);
    expect(load({ entries: [{ key: { u32: 1 }, value: "zz" }] })).toThrow(/entries\[0\]\.value: "zz" is not hex/);
    expect(load({ entries: [{ key: { u32: 1 }, value: { u64: 1 }, extra: 1 }] })).toThrow(/unknown field "extra"/);
    expect(load({ type: "array", entries: [] })).toThrow(/for a array map, this one is a hash/);
    expect(load("nonsense")).toThrow(MapError);
    expect(load({ entries: [{ key: { u32: 1 }, value: { u64: 1 } }, { key: { u32: 2 }, value: { u64: 2 } }] })).toThrow(/entries\[1\]: the update fails with E2BIG/);
  });

  it("answers any JSON document with contents or a MapError, never another exception", () => {
    const entry = fc.record({ key: fc.jsonValue(), value: fc.jsonValue() }, { requiredKeys: [] });
    const documentArb = fc.oneof(fc.jsonValue(), fc.record({ entries: fc.array(entry, { maxLength: 4 }) }), fc.array(entry, { maxLength: 4 }));
    fc.assert(
      fc.property(documentArb, fc.constantFrom(MapType.HASH, MapType.PERCPU_ARRAY, MapType.QUEUE, MapType.ARRAY_OF_MAPS), (document, type) => {
        const inner = { name: "inner", type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 };
        const map = make({ type, keySize: type === MapType.QUEUE ? 0 : 4, valueSize: type === MapType.ARRAY_OF_MAPS ? 4 : 8, inner }, { cpus: 2 });
        try {
          loadMapJson(map, document, "fuzz.json");
        } catch (error) {
          expect(error).toBeInstanceOf(MapError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("reports a file that is not JSON", () => {
    const dir = mkdtempSync(join(tmpdir(), "maps-json-"));
    const file = join(dir, "broken.json");
    writeFileSync(file, "{ entries: ");
    expect(() => loadMapFile(make({ type: MapType.HASH }), file)).toThrow(/broken\.json: map "m": not valid JSON/);
  });
});

describe("dumps", () => {
  it("are sorted and round-trip through loadMapJson", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })), { maxLength: 20 }), (pairs) => {
        const original = make({ type: MapType.HASH, maxEntries: 32 });
        for (const [key, value] of pairs) {
          const bytes = new Uint8Array(8);
          new DataView(bytes.buffer).setBigUint64(0, value, true);
          original.update(u32(key), bytes, 0, 0);
        }
        const dump = dumpMap(original);
        const keys = dump.entries.map((entry) => entry.key);
        expect(keys).toEqual([...keys].sort());
        const copy = make({ type: MapType.HASH, maxEntries: 32 });
        loadMapJson(copy, JSON.parse(formatMapDump(dump)), "dump.json");
        expect(dumpMap(copy)).toEqual(dump);
      }),
      { numRuns: 100 },
    );
  });

  it("round-trip for per-CPU arrays, LPM tries, queues and maps of maps", () => {
    const percpu = make({ type: MapType.PERCPU_ARRAY, valueSize: 4 }, { cpus: 2 });
    percpu.update(u32(3), u32(9), 0, 1);
    const lpm = make({ type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, flags: MapFlag.NO_PREALLOC });
    loadMapJson(lpm, { entries: [{ key: { prefix: "10.0.0.0/8" }, value: { u32: 1 } }] }, "lpm.json");
    const queue = make({ type: MapType.QUEUE, keySize: 0, valueSize: 4 });
    loadMapJson(queue, { values: [{ u32: 1 }, { u32: 2 }] }, "q.json");
    const innerDef = { name: "inner", type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 };
    const inner = make(innerDef);
    const outer = make({ type: MapType.ARRAY_OF_MAPS, valueSize: 4, inner: innerDef });
    loadMapJson(outer, { entries: [{ key: { u32: 2 }, value: { map: "inner" } }] }, "o.json", { mapsByName: new Map([["inner", inner]]) });
    expect(outer.innerMap?.(u32(2))).toBe(inner);
    for (const [map, opts] of [[percpu, { cpus: 2 }], [lpm, {}], [queue, {}], [outer, {}]] as const) {
      const dump = dumpMap(map);
      const copy = make(map.def, opts);
      loadMapJson(copy, JSON.parse(formatMapDump(dump)), "dump.json", { mapsByName: new Map([["inner", inner]]) });
      expect(dumpMap(copy)).toEqual(dump);
    }
    expect(dumpMap(queue).values).toEqual(["01000000", "02000000"]);
  });
});

describe("diffMaps and cloneMaps", () => {
  it("lists added, removed and changed entries readably", () => {
    const before = make({ type: MapType.HASH });
    before.update(u32(1), u64(1), 0, 0);
    before.update(u32(2), u64(2), 0, 0);
    const [after] = cloneMaps([before]);
    expect(diffMaps(before, after).identical).toBe(true);
    after.update(u32(2), u64(0x0300), 0, 0);
    after.delete(u32(1));
    after.update(u32(4), u64(4), 0, 0);
    const diff = diffMaps(before, after);
    expect(diff.identical).toBe(false);
    expect(formatMapDiff(diff)).toEqual([
      'map "m": key 01000000 only in the first: 0100000000000000',
      'map "m": key 04000000 only in the second: 0400000000000000',
      'map "m": key 02000000: 0200000000000000 -> 0003000000000000 (bytes 0-1 differ)',
    ]);
  });

  it("makes copies that evolve independently, LRU state included", () => {
    const lru = make({ type: MapType.LRU_HASH, maxEntries: 8 });
    for (let key = 1; key <= 8; key++) lru.update(u32(key), u64(key), 0, 0);
    lru.lookup(u32(1), 0);
    const [copy] = cloneMaps([lru]);
    copy.update(u32(9), u64(9), 0, 0);
    lru.update(u32(9), u64(9), 0, 0);
    expect(diffMaps(lru, copy).identical).toBe(true);
    copy.update(u32(10), u64(10), 0, 0);
    expect(diffMaps(lru, copy).identical).toBe(false);
    expect(lru.lookup(u32(10), 0)).toBeUndefined();
  });

  it("points a copied map of maps at the copies of its inner maps", () => {
    const innerDef = { name: "inner", type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 };
    const inner = make(innerDef);
    const outer = make({ type: MapType.HASH_OF_MAPS, valueSize: 4, inner: innerDef });
    if (!(outer instanceof HashOfMaps)) throw new Error("createMap made no HashOfMaps");
    expect(outer.setInner(u32(1), inner, 0)).toBe(0);
    const [outerCopy, innerCopy] = cloneMaps([outer, inner]);
    expect(outerCopy.innerMap?.(u32(1))).toBe(innerCopy);
    innerCopy.update(u32(0), u64(5), 0, 0);
    expect(inner.lookup(u32(0), 0)).toEqual(u64(0));
  });
});
