// The contents of an object's maps in one form for both sides of the
// differential check: key (hex) -> value bytes, one value per CPU for
// per-CPU maps, read from the kernel through the syscall and from the
// simulated maps through their syscall-side view. Comparing two snapshots
// gives every difference by map, key and byte.
//
// What is compared (docs/kernel.md, "Exclusions"): every map user space can
// read. Of a prog_array or a map of maps only the keys (a slot holds the
// kernel's program or map id there, our program or map index here). Queues,
// stacks, ring buffers, perf event arrays and xskmaps are not compared: the
// kernel has no syscall that reads them without consuming them. Nor are bloom
// filters: the syscall only answers "maybe present" for a value it is given,
// and the kernel hashes with a random seed.
import { isDumpableMapType, isPerCpuMapType } from "../kernel/index.ts";
import { MapFlag, MapType, type MapDef } from "../maps/index.ts";

export interface MapSnapshot {
  readonly name: string;
  readonly perCpu: boolean;
  // Only whether a key is present can be compared (see above).
  readonly keysOnly: boolean;
  // Key (hex) -> its value (one element) or one value per CPU.
  readonly entries: ReadonlyMap<string, readonly Uint8Array[]>;
}

// One snapshot per compared map; `index` is the map's index in the object.
export type Snapshot = readonly { readonly index: number; readonly map: MapSnapshot }[];

export const isKeysOnlyMapType = (type: number): boolean =>
  type === MapType.PROG_ARRAY || type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS;

// One home for which kinds hold a value per CPU: the kernel binding's (bpf_map_value_size).
export { isPerCpuMapType };

// Maps a program cannot change: the verifier allows programs no update or delete on
// devmaps, cpumaps, xskmaps, prog_arrays and maps of maps (check_map_func_compatibility),
// nor any write to a BPF_F_RDONLY_PROG map (frozen .rodata included). They are read once.
export function isProgramWritable(def: MapDef): boolean {
  const fixed: readonly number[] = [MapType.DEVMAP, MapType.DEVMAP_HASH, MapType.CPUMAP, MapType.XSKMAP, MapType.PROG_ARRAY, MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS];
  return !fixed.includes(def.type) && (def.flags & MapFlag.RDONLY_PROG) === 0 && def.frozen !== true;
}

export function isComparedMapType(type: number): boolean {
  return isDumpableMapType(type);
}

export interface EntryDifference {
  readonly map: string;
  readonly key: string;
  // undefined: the key is absent on that side.
  readonly kernel: readonly Uint8Array[] | undefined;
  readonly interpreter: readonly Uint8Array[] | undefined;
}

// Bytes not to compare, as a mask per (map, key): a set bit-for-bit mask over the
// concatenated per-CPU values; a key in `anyKeys` may be present on one side only.
export interface MapMask {
  readonly bytes: ReadonlyMap<string, Uint8Array>;
  readonly anyKeys: ReadonlySet<string>;
}

export const NO_MASK: MapMask = { bytes: new Map(), anyKeys: new Set() };
export const maskKey = (map: string, key: string): string => `${map}\u0000${key}`;

// Per-CPU values are compared CPU by CPU: the run happened on a known CPU (host-control.ts).
// `only`: the object map indexes to compare (default all).
export function compareSnapshots(kernel: Snapshot, interpreter: Snapshot, mask: MapMask = NO_MASK, only?: ReadonlySet<number>): EntryDifference[] {
  const differences: EntryDifference[] = [];
  kernel.forEach(({ index, map: k }, i) => {
    if (only !== undefined && !only.has(index)) return;
    const s = interpreter[i].map;
    for (const [key, kValues] of k.entries) {
      const sValues = s.entries.get(key);
      const id = maskKey(k.name, key);
      if (sValues === undefined) {
        if (!mask.anyKeys.has(id)) differences.push({ map: k.name, key, kernel: kValues, interpreter: undefined });
        continue;
      }
      if (k.keysOnly) continue;
      if (!valuesEqual(kValues, sValues, mask.bytes.get(id))) differences.push({ map: k.name, key, kernel: kValues, interpreter: sValues });
    }
    for (const [key, sValues] of s.entries) {
      if (!k.entries.has(key) && !mask.anyKeys.has(maskKey(k.name, key))) differences.push({ map: k.name, key, kernel: undefined, interpreter: sValues });
    }
  });
  return differences;
}

function valuesEqual(a: readonly Uint8Array[], b: readonly Uint8Array[], mask: Uint8Array | undefined): boolean {
  if (a.length !== b.length) return false;
  const flatA = concat(a);
  const flatB = concat(b);
  return bytesEqualMasked(flatA, flatB, mask);
}

function bytesEqualMasked(a: Uint8Array, b: Uint8Array, mask: Uint8Array | undefined): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(mask !== undefined && mask[i] !== 0)) return false;
  return true;
}

export function concat(values: readonly Uint8Array[]): Uint8Array {
  if (values.length === 1) return values[0];
  const out = new Uint8Array(values.reduce((n, v) => n + v.length, 0));
  let at = 0;
  for (const v of values) {
    out.set(v, at);
    at += v.length;
  }
  return out;
}

// Bytes are masked by whole 8-byte words: a number that depends on the clock (a u64
// timestamp) may differ between the two runs in some of its bytes and between a run
// and the kernel in others.
const MASK_WORD_BYTES = 8;

// A mask over `a` and `b` (same length) covering every aligned 8-byte word in which they differ.
export function wordMask(a: Uint8Array, b: Uint8Array): Uint8Array {
  const mask = new Uint8Array(a.length);
  for (let word = 0; word < a.length; word += MASK_WORD_BYTES) {
    const end = Math.min(a.length, word + MASK_WORD_BYTES);
    let differs = false;
    for (let i = word; i < end && !differs; i++) differs = a[i] !== b[i];
    if (differs) mask.fill(0xff, word, end);
  }
  return mask;
}

// The mask of every word that differs between two snapshots of the same maps (two
// interpreter runs that differ only in what a non-deterministic helper returned).
export function differingBytes(a: Snapshot, b: Snapshot): MapMask {
  const bytes = new Map<string, Uint8Array>();
  const anyKeys = new Set<string>();
  a.forEach(({ map: x }, i) => {
    const y = b[i].map;
    for (const [key, xValues] of x.entries) {
      const yValues = y.entries.get(key);
      const id = maskKey(x.name, key);
      if (yValues === undefined) {
        anyKeys.add(id);
        continue;
      }
      const flatX = concat(xValues);
      const flatY = concat(yValues);
      if (flatX.length !== flatY.length) {
        anyKeys.add(id);
        continue;
      }
      const mask = wordMask(flatX, flatY);
      if (mask.some((m) => m !== 0)) bytes.set(id, mask);
    }
    for (const key of y.entries.keys()) if (!x.entries.has(key)) anyKeys.add(maskKey(x.name, key));
  });
  return { bytes, anyKeys };
}
