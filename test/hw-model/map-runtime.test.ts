// The firmware's per-bucket entry counts of a hash map follow the map whoever
// changes it: a lookup whose bucket holds more entries than one table line
// reads a second (overflow) entry, and that must stay true after the host part
// of a program or the syscall side inserted or deleted keys, without a recount
// after every change (a recount walks the whole map: a run whose host part adds
// an entry per packet became quadratic).
import { describe, expect, it } from "vitest";
import { HashMap } from "../../src/maps/hash.ts";
import { LruHashMap } from "../../src/maps/lru-hash.ts";
import { MapType, type MapDef } from "../../src/maps/types.ts";
import { MapRuntime } from "../../hw-model/firmware/map-runtime.ts";

const ENTRIES_PER_BUCKET = 2;
const def = (type: number, maxEntries: number): MapDef => ({ name: "h", type, keySize: 4, valueSize: 4, maxEntries, flags: 0 });
const key = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const value = new Uint8Array(4);

function runtimeOn(map: HashMap | LruHashMap): MapRuntime {
  return new MapRuntime(map, 0, ENTRIES_PER_BUCKET, 16, false);
}

// Keys that land in one bucket of `rt`, found by trying keys in order.
function sameBucket(rt: MapRuntime, count: number): Uint8Array[] {
  const want = rt.bucketOf(key(0));
  const keys: Uint8Array[] = [];
  for (let n = 0; keys.length < count; n++) if (rt.bucketOf(key(n)) === want) keys.push(key(n));
  return keys;
}

describe("NIC hash map layout", () => {
  it("counts keys the host adds and removes without a recount", () => {
    const map = new HashMap(def(MapType.HASH, 64), 1, false);
    const rt = runtimeOn(map);
    const keys = sameBucket(rt, ENTRIES_PER_BUCKET + 1);
    // Up to a table line's worth of entries, a search reads one line; one more overflows into a second read.
    for (const k of keys.slice(0, ENTRIES_PER_BUCKET)) expect(map.update(k, value, 0, 0)).toBe(0);
    expect(rt.entriesRead(keys[0])).toBe(1);
    expect(map.update(keys[ENTRIES_PER_BUCKET], value, 0, 0)).toBe(0);
    expect(rt.entriesRead(keys[0])).toBe(2);
    // Replacing a value changes no count; deleting one brings the bucket back to a line.
    expect(map.update(keys[0], new Uint8Array([1, 2, 3, 4]), 0, 0)).toBe(0);
    expect(rt.entriesRead(keys[0])).toBe(2);
    expect(map.delete(keys[1])).toBe(0);
    expect(rt.entriesRead(keys[0])).toBe(1);
    expect(Array.from(rt.bucketFill).reduce((a, b) => a + b, 0)).toBe(ENTRIES_PER_BUCKET);
  });

  it("counts LRU evictions", () => {
    // Two entries at most: the third insert evicts the least recently used key.
    const map = new LruHashMap(def(MapType.LRU_HASH, 2), 1, false);
    const rt = runtimeOn(map);
    for (let n = 0; n < 3; n++) expect(map.update(key(n), value, 0, 0)).toBe(0);
    let present = 0;
    for (let k = map.getNextKey(undefined); k !== undefined; k = map.getNextKey(k)) present++;
    expect(present).toBe(2);
    expect(Array.from(rt.bucketFill).reduce((a, b) => a + b, 0)).toBe(2);
  });

  it("leaves an older runtime of the same map to recount when asked", () => {
    const map = new HashMap(def(MapType.HASH, 64), 1, false);
    const older = runtimeOn(map);
    const newer = runtimeOn(map);
    const keys = sameBucket(newer, ENTRIES_PER_BUCKET + 1);
    for (const k of keys) map.update(k, value, 0, 0);
    expect(newer.entriesRead(keys[0])).toBe(2);
    expect(older.entriesRead(keys[0])).toBe(1);
    older.syncLayout();
    expect(older.entriesRead(keys[0])).toBe(2);
  });
});
