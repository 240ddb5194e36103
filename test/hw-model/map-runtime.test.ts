// The firmware's per-bucket entry counts of a hash map follow the map whoever
// changes it: a lookup whose bucket holds more entries than one table line
// reads a second (overflow) entry, and that must stay true after the host part
// of a program or the syscall side inserted or deleted keys, without a recount
// after every change (a recount walks the whole map: a run whose host part adds
// an entry per packet became quadratic). Every runtime made on a map is told,
// and one nobody uses any more is not kept alive by the map.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { HashMap } from "../../src/maps/hash.ts";
import { LruHashMap } from "../../src/maps/lru-hash.ts";
import { MapType, type BpfMap, type MapDef } from "../../src/maps/types.ts";
import { ArrayMap } from "../../src/maps/array.ts";
import { MapRuntime, watchingRuntimes } from "../../hw-model/firmware/map-runtime.ts";

const ENTRIES_PER_BUCKET = 2;
const def = (type: number, maxEntries: number): MapDef => ({ name: "h", type, keySize: 4, valueSize: 4, maxEntries, flags: 0 });
const key = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const value = new Uint8Array(4);
// The engine's collector, to show a runtime nobody holds is collected.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

function runtimeOn(map: BpfMap): MapRuntime {
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

  it("tells every runtime made on the map, older ones too", () => {
    const map = new HashMap(def(MapType.HASH, 64), 1, false);
    const older = runtimeOn(map);
    const newer = runtimeOn(map);
    // Both have read the table before the keys come, so only being told keeps them current.
    expect(older.entriesRead(key(0))).toBe(1);
    expect(newer.entriesRead(key(0))).toBe(1);
    const keys = sameBucket(newer, ENTRIES_PER_BUCKET + 1);
    for (const k of keys) map.update(k, value, 0, 0);
    expect(newer.entriesRead(keys[0])).toBe(2);
    expect(older.entriesRead(keys[0])).toBe(2);
    expect(map.delete(keys[1])).toBe(0);
    expect(older.entriesRead(keys[0])).toBe(1);
    expect(newer.entriesRead(keys[0])).toBe(1);
    expect(watchingRuntimes(map)).toBe(2);
  });

  it("counts the keys a map held before its runtime was made", () => {
    const map = new HashMap(def(MapType.HASH, 64), 1, false);
    const probe = runtimeOn(new HashMap(def(MapType.HASH, 64), 1, false));
    const keys = sameBucket(probe, ENTRIES_PER_BUCKET + 1);
    for (const k of keys) map.update(k, value, 0, 0);
    const rt = runtimeOn(map);
    expect(rt.entriesRead(keys[0])).toBe(2);
    expect(Array.from(rt.bucketFill).reduce((a, b) => a + b, 0)).toBe(keys.length);
  });

  it("does not keep alive a runtime nobody uses any more", async () => {
    const map = new HashMap(def(MapType.HASH, 64), 1, false);
    const kept = runtimeOn(map);
    const dropped = new WeakRef(runtimeOn(map));
    expect(watchingRuntimes(map)).toBe(2);
    // A WeakRef read in this turn keeps its target until the turn ends.
    await new Promise((done) => setTimeout(done, 0));
    collectGarbage();
    expect(dropped.deref()).toBeUndefined();
    expect(watchingRuntimes(map)).toBe(1);
    const keys = sameBucket(kept, ENTRIES_PER_BUCKET + 1);
    for (const k of keys) map.update(k, value, 0, 0);
    expect(kept.entriesRead(keys[0])).toBe(2);
  });

  it("recounts a map that does not tell of its keys when asked", () => {
    // A hand-made BpfMap (no keyWatcher): only syncLayout brings the host's changes in.
    const inner = new HashMap(def(MapType.HASH, 64), 1, false);
    const silent: BpfMap = { def: inner.def, lookup: (k, c) => inner.lookup(k, c), update: (k, v, f, c) => inner.update(k, v, f, c), delete: (k) => inner.delete(k), getNextKey: (k) => inner.getNextKey(k) };
    const rt = runtimeOn(silent);
    const keys = sameBucket(rt, ENTRIES_PER_BUCKET + 1);
    expect(rt.entriesRead(keys[0])).toBe(1);
    for (const k of keys) silent.update(k, value, 0, 0);
    expect(rt.entriesRead(keys[0])).toBe(1);
    rt.syncLayout();
    expect(rt.entriesRead(keys[0])).toBe(2);
    // The firmware's own delete is counted as it happens.
    silent.delete(keys[0]);
    rt.noteDeleted(keys[0]);
    expect(rt.entriesRead(keys[1])).toBe(1);
  });
});

describe("NIC array layout", () => {
  it("holds every index of an array in the table, whatever runtime or sync", () => {
    // An array's keys are its indexes below max_entries (kernel arraymap.c), the u32 index in host (little-endian) order.
    const maxEntries = 1_000;
    const map = new ArrayMap({ name: "a", type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries, flags: 0 }, 1, false);
    const rt = new MapRuntime(map, 0, 1, 64, true);
    const perBucket = new Map<number, number>();
    for (let i = 0; i < maxEntries; i++) perBucket.set(rt.bucketOf(key(i)), (perBucket.get(rt.bucketOf(key(i))) ?? 0) + 1);
    const check = (r: MapRuntime): void => {
      for (let i = 0; i < maxEntries; i++) expect(r.entriesRead(key(i)), `index ${i}`).toBe(perBucket.get(r.bucketOf(key(i)))! > 1 ? 2 : 1);
    };
    check(rt);
    map.update(key(3), new Uint8Array(8).fill(1), 0, 0);
    rt.syncLayout();
    check(rt);
    check(new MapRuntime(map, 0, 1, 64, true));
    expect(Array.from(rt.bucketFill).reduce((a, b) => a + b, 0)).toBe(maxEntries);
  });
});
