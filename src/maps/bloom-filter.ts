// BPF_MAP_TYPE_BLOOM_FILTER (kernel/bpf/bloom_filter.c): a keyless set that
// answers "maybe present" or "certainly absent". push (BPF_ANY only, else
// EINVAL) sets nr_hash_funcs bits, bit i being jhash(value, seed + i) masked
// to the bit array; peek answers 0 when every one of them is set, -ENOENT
// otherwise. map_extra's low 4 bits give nr_hash_funcs (0 means 5). The bit
// array holds max_entries * nr_hash_funcs * 7 / 5 bits (7/5 standing for
// 1/ln 2), at least 64, rounded up to a power of two; past 2^31 bits (or on
// overflow) it is U32_MAX + 1 bits. The kernel picks a random hash seed unless
// BPF_F_ZERO_SEED is set; this model always hashes with seed 0, so only which
// absent values are false positives can differ from a kernel run.
// Element operations answer as the kernel's: lookup EINVAL (NULL here), update
// EINVAL, delete, pop and get_next_key EOPNOTSUPP; on the syscall side update
// is push, lookup-and-delete ENOTSUPP, and lookup is `contains` (the value is
// its input, so `sysLookup`, which has none, answers EINVAL).

import { MapBase } from "./base.ts";
import { Errno } from "./errno.ts";
import { jhash } from "./jhash.ts";
import { UpdateFlag } from "./types.ts";
import type { Errno as ErrnoValue, MapDef, MapEntry, SimMap } from "./types.ts";

// The low 4 bits of map_extra; the kernel's default when they are 0.
export const BLOOM_HASH_FUNCS_MASK = 0xf;
const DEFAULT_HASH_FUNCS = 5;
const MIN_BITS = 64; // BITS_PER_LONG
const MAX_POW2_BITS = 2 ** 31;

export function bloomHashFuncs(def: MapDef): number {
  return (def.mapExtra ?? 0) & BLOOM_HASH_FUNCS_MASK || DEFAULT_HASH_FUNCS;
}

// bitset_mask of bloom_map_alloc: the bit array's size minus one.
export function bloomBitMask(def: MapDef): number {
  const funcs = bloomHashFuncs(def);
  const product = def.maxEntries * funcs;
  const bits = product > 0xffff_ffff ? Infinity : Math.floor(product / 5) * 7;
  if (bits > 0xffff_ffff || bits > MAX_POW2_BITS) return 0xffff_ffff;
  if (bits <= MIN_BITS) return MIN_BITS - 1;
  return 2 ** Math.ceil(Math.log2(bits)) - 1;
}

export class BloomFilterMap extends MapBase implements SimMap {
  private readonly hashFuncs: number;
  private readonly bitMask: number;
  // The set bits (a Set rather than an array: the array may be 2^32 bits).
  private readonly bits: Set<number>;

  constructor(def: MapDef, cpus: number, bits: Set<number> = new Set()) {
    super(def, cpus);
    this.hashFuncs = bloomHashFuncs(def);
    this.bitMask = bloomBitMask(def);
    this.bits = bits;
  }

  private bit(value: Uint8Array, index: number): number {
    // jhash2 over value_size / 4 words equals jhash over the same bytes on a little-endian host.
    return (jhash(value, index) & this.bitMask) >>> 0;
  }

  push(value: Uint8Array, flags: number): ErrnoValue {
    if (flags !== UpdateFlag.ANY) return -Errno.EINVAL;
    const bytes = this.valueOf(value, this.def.valueSize);
    for (let i = 0; i < this.hashFuncs; i++) this.bits.add(this.bit(bytes, i));
    return 0;
  }

  contains(value: Uint8Array): ErrnoValue {
    const bytes = this.valueOf(value, this.def.valueSize);
    for (let i = 0; i < this.hashFuncs; i++) if (!this.bits.has(this.bit(bytes, i))) return -Errno.ENOENT;
    return 0;
  }

  pop(): Uint8Array | ErrnoValue {
    return -Errno.EOPNOTSUPP;
  }

  lookup(_key: Uint8Array, _cpu: number): Uint8Array | undefined {
    return undefined;
  }

  update(_key: Uint8Array, _value: Uint8Array, _flags: number, _cpu: number): ErrnoValue {
    return -Errno.EINVAL;
  }

  delete(_key: Uint8Array): ErrnoValue {
    return -Errno.EOPNOTSUPP;
  }

  getNextKey(_key: Uint8Array | undefined): Uint8Array | undefined {
    return undefined;
  }

  sysLookup(_key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    return -Errno.EINVAL;
  }

  sysUpdate(_key: Uint8Array | undefined, value: Uint8Array, flags: number): ErrnoValue {
    const denied = this.sysUpdateDenied(flags);
    return denied !== 0 ? denied : this.push(value, flags);
  }

  sysDelete(_key: Uint8Array | undefined): ErrnoValue {
    return -Errno.EOPNOTSUPP;
  }

  sysGetNextKey(_key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    return -Errno.EOPNOTSUPP;
  }

  sysLookupAndDelete(_key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    return -Errno.ENOTSUPP;
  }

  // No entries: a bloom filter keeps no values to list (the kernel's get_next_key is EOPNOTSUPP).
  entries(): readonly MapEntry[] {
    return [];
  }

  // The set bit indexes, ascending: what two runs compare to tell whether their filters differ.
  setBits(): readonly number[] {
    return [...this.bits].sort((a, b) => a - b);
  }

  clone(): BloomFilterMap {
    return new BloomFilterMap(this.def, this.cpus, new Set(this.bits));
  }
}
