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
import type { BpfMap, KeyWatcher } from "../../src/maps/types.ts";
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

export class MapRuntime {
  readonly kind: MapLayoutKind;
  // Scratch copy of a key read from NIC memory, reused for lookups and deletes.
  readonly keyScratch: Uint8Array;
  readonly bucketFill: Int32Array;
  private readonly bucketMask: number;
  private readonly watcher: KeyWatcher | undefined;

  // Lookups hash the key and read table entries (false: arrays indexed directly).
  readonly hashed: boolean;

  constructor(
    readonly map: BpfMap,
    // Memory-unit instance (topology index) holding the map.
    readonly target: number,
    readonly entriesPerBucket: number,
    readonly entryBytes: number,
    arraysUseHashTable: boolean,
  ) {
    this.kind = layoutKindOf(map.def.type);
    this.hashed = this.kind === "hash" || this.kind === "other" || (this.kind === "array" && arraysUseHashTable);
    this.keyScratch = new Uint8Array(map.def.keySize);
    // One bucket per expected `entriesPerBucket` entries, a power of two.
    let buckets = 1;
    while (buckets * entriesPerBucket < map.def.maxEntries) buckets *= 2;
    this.bucketMask = buckets - 1;
    this.bucketFill = new Int32Array(this.hashed ? buckets : 0);
    this.recount();
    // A hash map that tells of its keys keeps the counts current whoever changes it (the host part of a
    // program, the syscall side, an LRU eviction), so nothing needs recounting after the NIC's own changes
    // or the host's. The last runtime made on a map is the one told; an older one recounts as before.
    if (this.hashed && "keyWatcher" in map) {
      this.watcher = { inserted: (key) => this.bucketFill[this.bucketOf(key)]++, removed: (key) => this.bucketFill[this.bucketOf(key)]-- };
      map.keyWatcher = this.watcher;
    }
  }

  // The map tells this runtime of every key change.
  private watched(): boolean {
    return this.watcher !== undefined && this.map.keyWatcher === this.watcher;
  }

  bucketOf(key: Uint8Array): number {
    return keyHash(key) & this.bucketMask;
  }

  // Table entries a search for this key reads: its bucket line, plus an overflow entry when the bucket overflowed.
  entriesRead(key: Uint8Array): number {
    if (this.bucketFill.length === 0) return 0;
    return this.bucketFill[this.bucketOf(key)] <= this.entriesPerBucket ? 1 : 2;
  }

  // The firmware's own insert and delete (counted by the watcher when the map has one).
  noteInserted(key: Uint8Array): void {
    if (this.bucketFill.length && !this.watched()) this.bucketFill[this.bucketOf(key)]++;
  }

  noteDeleted(key: Uint8Array): void {
    if (this.bucketFill.length && !this.watched()) this.bucketFill[this.bucketOf(key)]--;
  }

  // Brings the counts up to date after the map was changed from outside (nothing to do when watched).
  syncLayout(): void {
    if (!this.watched()) this.recount();
  }

  // Recounts entries per bucket from the map itself.
  private recount(): void {
    if (this.bucketFill.length === 0) return;
    this.bucketFill.fill(0);
    let key = this.map.getNextKey(undefined);
    let guard = this.map.def.maxEntries + 1;
    while (key !== undefined && guard-- > 0) {
      this.noteInserted(key);
      key = this.map.getNextKey(key);
    }
  }

  // Bytes the map occupies in its memory unit.
  footprintBytes(): number {
    const def = this.map.def;
    if (this.kind === "perf_event_array") return 0;
    return this.hashed ? Math.max(def.maxEntries, this.bucketFill.length) * this.entryBytes : def.maxEntries * def.valueSize;
  }
}
