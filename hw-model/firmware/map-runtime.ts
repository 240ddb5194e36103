// A map as the NIC firmware holds it: the map's semantics come from src/maps
// (BpfMap), its cost from a model of its layout in the memory unit it was placed
// in. The NFP eBPF firmware keeps maps in one hash table of fixed-size entries
// (Netronome nic-firmware, maps/hashmap.uc): the key's hash picks an entry line;
// keys that collide beyond what the line holds go to overflow entries that the
// line's CAM points to, so a lookup reads one line, and one overflow entry when
// its bucket has overflowed. Arrays either live in that table too (looked up the
// same way) or, when the preset says so, as a flat run of values whose element
// address is computed without a memory read. The layout only counts entries per
// bucket: that is all the cost depends on.
import type { BpfMap, KeyWatcher, MapDef } from "../../src/maps/types.ts";
import { MapType } from "../../src/maps/types.ts";

export type MapLayoutKind = "array" | "hash" | "perf_event_array" | "other";

export function layoutKindOf(mapType: number): MapLayoutKind {
  switch (mapType) {
    case MapType.ARRAY:
    case MapType.PERCPU_ARRAY:
      return "array";
    case MapType.HASH:
    case MapType.PERCPU_HASH:
    case MapType.LRU_HASH:
    case MapType.LRU_PERCPU_HASH:
      return "hash";
    case MapType.PERF_EVENT_ARRAY:
      return "perf_event_array";
    default:
      return "other";
  }
}

// The preset's firmware fields that decide a map's table (hw-model/presets: firmware.*).
export interface TableLayout {
  readonly hashEntriesPerBucket: number;
  readonly hashEntryBytes: number;
  readonly arraysUseHashTable: boolean;
}

// Lookups hash the key and search the table (false: an array indexed directly).
export function isHashedLayout(kind: MapLayoutKind, arraysUseHashTable: boolean): boolean {
  return kind === "hash" || kind === "other" || (kind === "array" && arraysUseHashTable);
}

// The table's buckets for a map of `maxEntries` keys: the smallest power of two that holds them at
// `entriesPerBucket` each (hashmap.uc sizes its table by a power-of-two mask).
export function tableBucketCount(maxEntries: number, entriesPerBucket: number): number {
  let buckets = 1;
  while (buckets * entriesPerBucket < maxEntries) buckets *= 2;
  return buckets;
}

// Bytes the map occupies in its memory unit: a hashed map one entry line per key it can hold, and no
// fewer lines than buckets; a directly indexed array its packed values; a perf event array nothing on the card.
export function mapFootprintBytes(def: MapDef, layout: TableLayout): number {
  const kind = layoutKindOf(def.type);
  if (kind === "perf_event_array") return 0;
  if (!isHashedLayout(kind, layout.arraysUseHashTable)) return def.maxEntries * def.valueSize;
  return Math.max(def.maxEntries, tableBucketCount(def.maxEntries, layout.hashEntriesPerBucket)) * layout.hashEntryBytes;
}

// FNV-1a over the key bytes: the bucket a key falls into (the firmware hashes with a CRC; any
// well-mixing hash gives the same distribution of chain lengths).
export function keyHash(key: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// keyHash of an array index's key: the index as 4 little-endian bytes, without making them.
function indexKeyHash(index: number): number {
  let h = 0x811c9dc5;
  for (let shift = 0; shift < 32; shift += 8) {
    h ^= (index >>> shift) & 0xff;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// An array's keys are every index below max_entries from creation on and never change (kernel
// arraymap.c: no insert, delete is EINVAL), so its counts depend only on its size and the table's:
// made once and shared by every runtime of that shape (read only). The last few shapes are kept.
const ARRAY_FILL_SHAPES_KEPT = 8;
const arrayFills = new Map<string, Int32Array>();

function arrayFill(maxEntries: number, buckets: number): Int32Array {
  const shape = `${maxEntries}/${buckets}`;
  const known = arrayFills.get(shape);
  if (known !== undefined) return known;
  const fill = new Int32Array(buckets);
  const mask = buckets - 1;
  for (let index = 0; index < maxEntries; index++) fill[indexKeyHash(index) & mask]++;
  if (arrayFills.size >= ARRAY_FILL_SHAPES_KEPT) arrayFills.delete(arrayFills.keys().next().value!);
  arrayFills.set(shape, fill);
  return fill;
}

const MIN_SWEEP_LENGTH = 8;

// The one KeyWatcher a map holds, passing each key change on to every runtime on the map. It holds
// them weakly: a runtime nobody uses any more is collected, and dropped from the list at the next
// change. A watcher the map had before the first runtime came keeps being told.
class RuntimeFanOut implements KeyWatcher {
  private runtimes: WeakRef<MapRuntime>[] = [];
  // The list is swept of collected runtimes when it grows to this length (a map no key change reaches
  // would otherwise keep one reference per runtime ever made on it).
  private sweepAtLength = MIN_SWEEP_LENGTH;

  constructor(private readonly earlier: KeyWatcher | undefined) {}

  add(runtime: MapRuntime): void {
    this.runtimes.push(new WeakRef(runtime));
    if (this.runtimes.length < this.sweepAtLength) return;
    this.runtimes = this.runtimes.filter((r) => r.deref() !== undefined);
    this.sweepAtLength = Math.max(MIN_SWEEP_LENGTH, 2 * this.runtimes.length);
  }

  inserted(key: Uint8Array): void {
    this.tell(key, 1);
    this.earlier?.inserted(key);
  }

  removed(key: Uint8Array): void {
    this.tell(key, -1);
    this.earlier?.removed(key);
  }

  // Runtimes currently watching (the collected ones are not counted).
  get liveRuntimes(): number {
    return this.runtimes.filter((r) => r.deref() !== undefined).length;
  }

  private tell(key: Uint8Array, delta: number): void {
    let collected = false;
    for (const ref of this.runtimes) {
      const runtime = ref.deref();
      if (runtime === undefined) collected = true;
      else runtime.keyChanged(key, delta);
    }
    if (collected) this.runtimes = this.runtimes.filter((r) => r.deref() !== undefined);
  }
}

// The fan-out on `map`, made (and set as the map's watcher) on first use.
function fanOutOf(map: BpfMap): RuntimeFanOut {
  const current = map.keyWatcher;
  if (current instanceof RuntimeFanOut) return current;
  const fanOut = new RuntimeFanOut(current);
  map.keyWatcher = fanOut;
  return fanOut;
}

export class MapRuntime {
  readonly kind: MapLayoutKind;
  // Scratch copy of a key read from NIC memory, reused for lookups and deletes.
  readonly keyScratch: Uint8Array;
  private readonly bucketMask: number;
  private readonly bucketCount: number;
  private readonly fanOut: RuntimeFanOut | undefined;
  // Entries per bucket; undefined until first read (then counted from the map) and after a
  // syncLayout of a map that does not tell of its keys (then counted again at the next read).
  private fill: Int32Array | undefined;

  // Lookups hash the key and read table entries (false: arrays indexed directly).
  readonly hashed: boolean;

  constructor(
    readonly map: BpfMap,
    // Memory-unit instance (topology index) holding the map.
    readonly target: number,
    readonly entriesPerBucket: number,
    readonly entryBytes: number,
    private readonly arraysUseHashTable: boolean,
  ) {
    this.kind = layoutKindOf(map.def.type);
    this.hashed = isHashedLayout(this.kind, arraysUseHashTable);
    this.keyScratch = new Uint8Array(map.def.keySize);
    this.bucketCount = this.hashed ? tableBucketCount(map.def.maxEntries, entriesPerBucket) : 0;
    this.bucketMask = this.bucketCount - 1;
    // A hash map that tells of its keys keeps the counts current whoever changes it (the host part of a
    // program, the syscall side, an LRU eviction), so nothing needs recounting after the NIC's own changes
    // or the host's; every runtime made on the map is told.
    if (this.hashed && this.kind !== "array" && "keyWatcher" in map) {
      this.fanOut = fanOutOf(map);
      this.fanOut.add(this);
    }
  }

  // Entries in each bucket of the firmware table (empty when the map is not hashed). Read only.
  get bucketFill(): Int32Array {
    this.fill ??= this.count();
    return this.fill;
  }

  // The map tells this runtime of every key change.
  private watched(): boolean {
    return this.fanOut !== undefined && this.map.keyWatcher === this.fanOut;
  }

  bucketOf(key: Uint8Array): number {
    return keyHash(key) & this.bucketMask;
  }

  // Table entries a search for this key reads: its bucket line, plus an overflow entry when the bucket overflowed.
  entriesRead(key: Uint8Array): number {
    if (this.bucketCount === 0) return 0;
    return this.bucketFill[this.bucketOf(key)] <= this.entriesPerBucket ? 1 : 2;
  }

  // The firmware's own insert and delete (counted by the watcher when the map has one; an array's keys never change).
  noteInserted(key: Uint8Array): void {
    if (!this.watched()) this.keyChanged(key, 1);
  }

  noteDeleted(key: Uint8Array): void {
    if (!this.watched()) this.keyChanged(key, -1);
  }

  // A key entered (+1) or left (-1) the map. Counts not made yet will see the map as it is when they are.
  keyChanged(key: Uint8Array, delta: number): void {
    if (this.fill !== undefined && this.kind !== "array") this.fill[this.bucketOf(key)] += delta;
  }

  // Brings the counts up to date after the map was changed from outside: nothing to do when the map tells
  // of its changes or is an array (its keys never change); otherwise they are counted again when next read.
  syncLayout(): void {
    if (!this.watched() && this.kind !== "array") this.fill = undefined;
  }

  // Entries per bucket, from the map itself.
  private count(): Int32Array {
    if (this.bucketCount === 0) return new Int32Array(0);
    if (this.kind === "array") return arrayFill(this.map.def.maxEntries, this.bucketCount);
    const fill = new Int32Array(this.bucketCount);
    let key = this.map.getNextKey(undefined);
    let guard = this.map.def.maxEntries + 1;
    while (key !== undefined && guard-- > 0) {
      fill[this.bucketOf(key)]++;
      key = this.map.getNextKey(key);
    }
    return fill;
  }

  // Bytes the map occupies in its memory unit.
  footprintBytes(): number {
    return mapFootprintBytes(this.map.def, { hashEntriesPerBucket: this.entriesPerBucket, hashEntryBytes: this.entryBytes, arraysUseHashTable: this.arraysUseHashTable });
  }
}

// Runtimes the map's key changes reach (for tests: a runtime no longer used must not stay among them).
export function watchingRuntimes(map: BpfMap): number {
  const watcher = map.keyWatcher;
  return watcher instanceof RuntimeFanOut ? watcher.liveRuntimes : 0;
}
