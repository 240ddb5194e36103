// Initial map states: the program's own state (its --map files or load-time
// contents) edited by a short list of writes per map: keys that hit (existing
// keys, rewritten values), keys that miss by a byte, random keys, LPM
// prefixes of every length, edge values (0, 1, 2, all ones), deletions, and
// hash tables filled to capacity. Every write goes through the bpf() syscall
// side (sysUpdate / sysDelete), as user space would make it, and is recorded
// so the kernel side can replay exactly the same writes. Shrinking drops
// edits, so a counterexample ends on the smallest state that still differs.
import { isPerCpuMapType } from "../kernel/index.ts";
import fc from "fast-check";
import { MapType, UpdateFlag, type MapDef, type MapEntry, type SimMap } from "../maps/index.ts";
import { LPM_PREFIXLEN_BYTES } from "../maps/lpm-trie.ts";
import type { MapWrite } from "../oracle/object-setup.ts";

// Bytes of a key or value: taken from an existing entry (index modulo their count) with one byte changed, or these.
export type BytesPick =
  | { readonly kind: "existing"; readonly index: number; readonly at: number; readonly xor: number }
  | { readonly kind: "own"; readonly bytes: Uint8Array }
  // A small number, little-endian (counters, verdicts, indices).
  | { readonly kind: "small"; readonly value: number };

export type MapEdit =
  | { readonly kind: "update"; readonly key: BytesPick; readonly value: BytesPick }
  | { readonly kind: "delete"; readonly index: number }
  // Inserts keys derived from `base` (a counter in its first bytes) until the map refuses one.
  | { readonly kind: "fill"; readonly base: Uint8Array; readonly value: BytesPick }
  | { readonly kind: "prefix"; readonly prefixLength: number; readonly data: BytesPick; readonly value: BytesPick }
  // The key of the index-th access (modulo their count) the program made to this map on a dry run of the case's packet:
  // the lookups of a parser's deep branches hit, whatever the key's layout.
  | { readonly kind: "hit"; readonly index: number; readonly value: BytesPick };

// Index i: the edits of map i, applied in order.
export type MapState = readonly (readonly MapEdit[])[];

// Hash tables larger than this are not filled (a case would cost more than it finds).
export const MAX_FILL_ENTRIES = 1024;
const MAX_EDITS_PER_MAP = 6;
const SMALL_VALUES = [0, 1, 2, 3, 4, 0xff, 0xffff];

const HASH_TYPES: ReadonlySet<number> = new Set([MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH, MapType.LRU_PERCPU_HASH]);
const ARRAY_TYPES: ReadonlySet<number> = new Set([MapType.ARRAY, MapType.PERCPU_ARRAY]);

// Whether the suite edits this map (prog/dev/perf maps and frozen data stay as loaded).
export function isEditable(def: MapDef): boolean {
  return !def.frozen && (HASH_TYPES.has(def.type) || ARRAY_TYPES.has(def.type) || def.type === MapType.LPM_TRIE);
}

const bytesPick = (size: number): fc.Arbitrary<BytesPick> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("existing" as const), index: fc.nat(), at: fc.nat(), xor: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 0xff })) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("own" as const), bytes: fc.uint8Array({ minLength: size, maxLength: size }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("small" as const), value: fc.oneof(fc.constantFrom(...SMALL_VALUES), fc.nat()) }) },
  );

function editArbitrary(def: MapDef): fc.Arbitrary<MapEdit> {
  const hit = fc.record({ kind: fc.constant("hit" as const), index: fc.nat(), value: bytesPick(def.valueSize) });
  const update = fc.oneof({ weight: 1, arbitrary: fc.record({ kind: fc.constant("update" as const), key: bytesPick(def.keySize), value: bytesPick(def.valueSize) }) }, { weight: 1, arbitrary: hit });
  const del = fc.record({ kind: fc.constant("delete" as const), index: fc.nat() });
  if (def.type === MapType.LPM_TRIE) {
    const maxPrefix = (def.keySize - LPM_PREFIXLEN_BYTES) * 8;
    const prefix = fc.record({
      kind: fc.constant("prefix" as const),
      prefixLength: fc.oneof(fc.constantFrom(0, maxPrefix, 8, 16, 24), fc.integer({ min: 0, max: maxPrefix })),
      data: bytesPick(def.keySize - LPM_PREFIXLEN_BYTES),
      value: bytesPick(def.valueSize),
    });
    return fc.oneof({ weight: 3, arbitrary: prefix }, { weight: 1, arbitrary: update }, { weight: 1, arbitrary: del });
  }
  if (ARRAY_TYPES.has(def.type)) return update;
  const fill = fc.record({ kind: fc.constant("fill" as const), base: fc.uint8Array({ minLength: def.keySize, maxLength: def.keySize }), value: bytesPick(def.valueSize) });
  return def.maxEntries <= MAX_FILL_ENTRIES
    ? fc.oneof({ weight: 4, arbitrary: update }, { weight: 2, arbitrary: del }, { weight: 1, arbitrary: fill })
    : fc.oneof({ weight: 4, arbitrary: update }, { weight: 2, arbitrary: del });
}

export function mapStateArbitrary(defs: readonly MapDef[]): fc.Arbitrary<MapState> {
  return fc.tuple(...defs.map((def) => (isEditable(def) ? fc.array(editArbitrary(def), { maxLength: MAX_EDITS_PER_MAP }) : fc.constant([] as MapEdit[]))));
}

// A syscall write of the initial state, replayable on the kernel's maps in the same order (LRU maps care).
export type StateWrite = MapWrite | { readonly kind: "delete"; readonly mapIndex: number; readonly key: Uint8Array };

export interface AppliedState {
  readonly maps: readonly SimMap[];
  // The successful syscall writes, in order (the base state's writes first).
  readonly writes: readonly StateWrite[];
}

// The initial maps of a case: `base` itself where the state edits nothing (no side ever
// writes to these: the host and the NIC each run on their own copies), an edited copy elsewhere.
// `accessed` holds, per map, the keys a dry run used; without it "hit" edits are left out.
export function applyMapState(base: readonly SimMap[], baseWrites: readonly StateWrite[], state: MapState, accessed?: readonly (readonly Uint8Array[])[]): AppliedState {
  const writes: StateWrite[] = [...baseWrites];
  const maps = base.map((map, mapIndex) => {
    const edits = state[mapIndex] ?? [];
    if (!isEditable(map.def) || edits.length === 0) return map;
    const copy = map.clone();
    const existing = baseEntries(map);
    for (const edit of edits) applyEdit(copy, existing, accessed?.[mapIndex] ?? [], mapIndex, edit, writes);
    return copy;
  });
  return { maps, writes };
}

// The base state's entries, listed once per map (listing a large table is costly): what "existing" picks and deletions choose from.
const entryCache = new WeakMap<SimMap, readonly MapEntry[]>();
function baseEntries(map: SimMap): readonly MapEntry[] {
  let entries = entryCache.get(map);
  if (entries === undefined) {
    entries = map.entries();
    entryCache.set(map, entries);
  }
  return entries;
}

export const hasHitEdits = (state: MapState): boolean => state.some((edits) => edits.some((e) => e.kind === "hit"));

function applyEdit(map: SimMap, existing: readonly MapEntry[], accessed: readonly Uint8Array[], mapIndex: number, edit: MapEdit, writes: StateWrite[]): void {
  const def = map.def;
  const update = (key: Uint8Array, value: Uint8Array): boolean => {
    const syscallValue = syscallValueOf(map, value);
    if (map.sysUpdate(key, syscallValue, UpdateFlag.ANY, 0) !== 0) return false;
    writes.push({ kind: "update", mapIndex, key: key.slice(), value: syscallValue, flags: UpdateFlag.ANY });
    return true;
  };
  switch (edit.kind) {
    case "update": {
      const key = ARRAY_TYPES.has(def.type) ? arrayIndex(resolveBytes(edit.key, existing, "key", def.keySize), def.maxEntries) : resolveBytes(edit.key, existing, "key", def.keySize);
      update(key, resolveBytes(edit.value, existing, "value", def.valueSize));
      return;
    }
    case "hit": {
      if (accessed.length === 0) return;
      const key = accessed[edit.index % accessed.length];
      if (key.length === def.keySize) update(key, resolveBytes(edit.value, existing, "value", def.valueSize));
      return;
    }
    case "delete": {
      if (existing.length === 0) return;
      const key = existing[edit.index % existing.length].key.slice();
      if (map.sysDelete(key, 0) === 0) writes.push({ kind: "delete", mapIndex, key });
      return;
    }
    case "fill": {
      const value = resolveBytes(edit.value, existing, "value", def.valueSize);
      for (let i = 0; i < def.maxEntries; i++) {
        const key = edit.base.slice();
        const counter = new DataView(key.buffer);
        if (key.length >= 4) counter.setUint32(0, (counter.getUint32(0, true) + i) >>> 0, true);
        else key[0] = (key[0] + i) & 0xff;
        // A refusal is a full table (E2BIG); an LRU table evicts instead and takes every key.
        if (!update(key, value)) return;
      }
      return;
    }
    case "prefix": {
      const data = resolveBytes(edit.data, existing, "key", def.keySize - LPM_PREFIXLEN_BYTES, LPM_PREFIXLEN_BYTES);
      const key = new Uint8Array(def.keySize);
      new DataView(key.buffer).setUint32(0, edit.prefixLength, true);
      key.set(data, LPM_PREFIXLEN_BYTES);
      update(key, resolveBytes(edit.value, existing, "value", def.valueSize));
      return;
    }
  }
}

// `size` bytes for a pick; `skip` leading bytes of an existing key are left out (an LPM key's prefixlen).
function resolveBytes(pick: BytesPick, entries: readonly MapEntry[], part: "key" | "value", size: number, skip = 0): Uint8Array {
  const out = new Uint8Array(size);
  switch (pick.kind) {
    case "own":
      out.set(pick.bytes.subarray(0, size));
      return out;
    case "small": {
      const view = new DataView(out.buffer);
      if (size >= 4) view.setUint32(0, pick.value >>> 0, true);
      else for (let i = 0; i < size; i++) out[i] = (pick.value >>> (8 * i)) & 0xff;
      return out;
    }
    case "existing": {
      if (entries.length === 0) return out;
      const entry = entries[pick.index % entries.length];
      const source = part === "key" ? entry.key : (entry.value ?? entry.perCpu?.[0] ?? new Uint8Array(0));
      out.set(source.subarray(skip, skip + size));
      if (size > 0) out[pick.at % size] ^= pick.xor;
      return out;
    }
  }
}

// An array key: the index the bytes say, brought inside the array (a miss would be refused anyway).
function arrayIndex(bytes: Uint8Array, maxEntries: number): Uint8Array {
  const key = new Uint8Array(4);
  const raw = bytes.length >= 4 ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true) : bytes[0] ?? 0;
  new DataView(key.buffer).setUint32(0, raw % Math.max(1, maxEntries), true);
  return key;
}

// Per-CPU maps take every CPU's value through the syscall, each rounded up to 8 bytes.
function syscallValueOf(map: SimMap, value: Uint8Array): Uint8Array {
  if (!isPerCpuMapType(map.def.type)) return value;
  const stride = Math.ceil(value.length / 8) * 8;
  const out = new Uint8Array(stride * map.cpus);
  for (let cpu = 0; cpu < map.cpus; cpu++) out.set(value, cpu * stride);
  return out;
}
