// The kernel's checks on a map definition at BPF_MAP_CREATE (the map_alloc_check
// / map_alloc functions of each kind), returning the errno the kernel would
// answer and why, so createMap can refuse a definition with a sentence the
// user can act on.

import { roundUp8 } from "./bytes.ts";
import { MapFlag, ACCESS_MASK } from "./flags.ts";
import { BLOOM_HASH_FUNCS_MASK } from "./bloom-filter.ts";
import { LPM_PREFIXLEN_BYTES } from "./lpm-trie.ts";
import { MapType } from "./types.ts";
import type { MapDef } from "./types.ts";
import type { ErrnoName } from "./errno.ts";

// KMALLOC_MAX_SIZE on x86-64 (1 << (MAX_PAGE_ORDER + PAGE_SHIFT) = 4 MiB).
const KMALLOC_MAX_BYTES = 4 << 20;
// PCPU_MIN_UNIT_SIZE: the largest per-CPU value slot (32 KiB).
const PCPU_MIN_UNIT_BYTES = 32 << 10;
// sizeof(struct htab_elem) on x86-64.
const HTAB_ELEM_HEADER_BYTES = 48;
// LPM_DATA_SIZE_MIN/MAX and sizeof(struct lpm_trie_node) on x86-64.
const LPM_DATA_MIN_BYTES = 1;
const LPM_DATA_MAX_BYTES = 256;
const LPM_NODE_HEADER_BYTES = 40;
// PAGE_SIZE on x86-64: ring buffer sizes are multiples of it.
const PAGE_BYTES = 4096;
// CONFIG_NR_CPUS of common distribution kernels; cpumap refuses more entries (E2BIG).
export const NR_CPUS = 8192;

export interface DefProblem {
  readonly errno: ErrnoName;
  readonly reason: string;
}

const problem = (errno: ErrnoName, reason: string): DefProblem => ({ errno, reason });

// bpf_map_flags_access_ok: read-only and write-only cannot both be asked for.
function accessFlagsConflict(flags: number): boolean {
  const both = (a: number, b: number): boolean => (flags & a) !== 0 && (flags & b) !== 0;
  return both(MapFlag.RDONLY, MapFlag.WRONLY) || both(MapFlag.RDONLY_PROG, MapFlag.WRONLY_PROG);
}

function unknownFlags(flags: number, allowed: number): number {
  return flags & ~allowed;
}

function checkArray(def: MapDef): DefProblem | undefined {
  const allowed = MapFlag.NUMA_NODE | MapFlag.MMAPABLE | ACCESS_MASK | MapFlag.PRESERVE_ELEMS | MapFlag.INNER_MAP;
  const percpu = def.type === MapType.PERCPU_ARRAY;
  if (def.maxEntries === 0) return problem("EINVAL", "max_entries is 0");
  if (def.keySize !== 4) return problem("EINVAL", `an array's key size must be 4, not ${def.keySize}`);
  if (def.valueSize === 0) return problem("EINVAL", "value size is 0");
  if (unknownFlags(def.flags, allowed) !== 0) return problem("EINVAL", `flags 0x${unknownFlags(def.flags, allowed).toString(16)} are not allowed for an array`);
  if (accessFlagsConflict(def.flags)) return problem("EINVAL", "read-only and write-only flags together");
  if (percpu && (def.flags & MapFlag.NUMA_NODE) !== 0) return problem("EINVAL", "BPF_F_NUMA_NODE on a per-CPU array");
  if (def.type !== MapType.ARRAY && (def.flags & (MapFlag.MMAPABLE | MapFlag.INNER_MAP)) !== 0) {
    return problem("EINVAL", "BPF_F_MMAPABLE / BPF_F_INNER_MAP are for plain arrays only");
  }
  if (def.type !== MapType.PERF_EVENT_ARRAY && (def.flags & MapFlag.PRESERVE_ELEMS) !== 0) {
    return problem("EINVAL", "BPF_F_PRESERVE_ELEMS is for perf_event_array only");
  }
  if (percpu && roundUp8(def.valueSize) > PCPU_MIN_UNIT_BYTES) return problem("E2BIG", `a per-CPU value is limited to ${PCPU_MIN_UNIT_BYTES} bytes`);
  return undefined;
}

// fd_array_map_alloc_check: prog_array, perf_event_array, array_of_maps.
function checkFdArray(def: MapDef): DefProblem | undefined {
  if (def.valueSize !== 4) return problem("EINVAL", `the value is a 4-byte fd, not ${def.valueSize} bytes`);
  if ((def.flags & (MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG)) !== 0) return problem("EINVAL", "program access flags on an fd array");
  return checkArray(def);
}

function checkHash(def: MapDef): DefProblem | undefined {
  const percpu = def.type === MapType.PERCPU_HASH || def.type === MapType.LRU_PERCPU_HASH;
  const lru = def.type === MapType.LRU_HASH || def.type === MapType.LRU_PERCPU_HASH;
  const allowed = MapFlag.NO_PREALLOC | MapFlag.NO_COMMON_LRU | MapFlag.NUMA_NODE | ACCESS_MASK | MapFlag.ZERO_SEED;
  const percpuLru = (def.flags & MapFlag.NO_COMMON_LRU) !== 0;
  if (unknownFlags(def.flags, allowed) !== 0) return problem("EINVAL", `flags 0x${unknownFlags(def.flags, allowed).toString(16)} are not allowed for a hash`);
  if (accessFlagsConflict(def.flags)) return problem("EINVAL", "read-only and write-only flags together");
  if (!lru && percpuLru) return problem("EINVAL", "BPF_F_NO_COMMON_LRU on a map that is not LRU");
  if (lru && (def.flags & MapFlag.NO_PREALLOC) !== 0) return problem("ENOTSUPP", "an LRU hash cannot use BPF_F_NO_PREALLOC");
  if ((def.flags & MapFlag.NUMA_NODE) !== 0 && (percpu || percpuLru)) return problem("EINVAL", "BPF_F_NUMA_NODE with per-CPU values or lists");
  if (def.maxEntries === 0) return problem("EINVAL", "max_entries is 0");
  if (def.keySize === 0) return problem("EINVAL", "key size is 0");
  if (def.valueSize === 0) return problem("EINVAL", "value size is 0");
  if (def.keySize + def.valueSize >= KMALLOC_MAX_BYTES - HTAB_ELEM_HEADER_BYTES) return problem("E2BIG", "key and value together are too large");
  if (percpu && roundUp8(def.valueSize) > PCPU_MIN_UNIT_BYTES) return problem("E2BIG", `a per-CPU value is limited to ${PCPU_MIN_UNIT_BYTES} bytes`);
  if (def.maxEntries > 2 ** 31) return problem("E2BIG", "more than 2^31 entries");
  return undefined;
}

function checkLpm(def: MapDef): DefProblem | undefined {
  const allowed = MapFlag.NO_PREALLOC | MapFlag.NUMA_NODE | ACCESS_MASK;
  const minKey = LPM_PREFIXLEN_BYTES + LPM_DATA_MIN_BYTES;
  const maxKey = LPM_PREFIXLEN_BYTES + LPM_DATA_MAX_BYTES;
  const maxValue = KMALLOC_MAX_BYTES - LPM_DATA_MAX_BYTES - LPM_NODE_HEADER_BYTES;
  if (def.maxEntries === 0) return problem("EINVAL", "max_entries is 0");
  if ((def.flags & MapFlag.NO_PREALLOC) === 0) return problem("EINVAL", "an LPM trie needs BPF_F_NO_PREALLOC");
  if (unknownFlags(def.flags, allowed) !== 0) return problem("EINVAL", `flags 0x${unknownFlags(def.flags, allowed).toString(16)} are not allowed for an LPM trie`);
  if (accessFlagsConflict(def.flags)) return problem("EINVAL", "read-only and write-only flags together");
  if (def.keySize < minKey || def.keySize > maxKey) return problem("EINVAL", `an LPM key is a 4-byte prefix length and 1 to 256 data bytes (${minKey}..${maxKey}), not ${def.keySize}`);
  if (def.valueSize < 1 || def.valueSize > maxValue) return problem("EINVAL", `value size ${def.valueSize} is out of range`);
  return undefined;
}

function checkDevmap(def: MapDef): DefProblem | undefined {
  const allowed = MapFlag.NUMA_NODE | MapFlag.RDONLY | MapFlag.WRONLY;
  if (def.maxEntries === 0) return problem("EINVAL", "max_entries is 0");
  if (def.keySize !== 4) return problem("EINVAL", `the key is a u32, not ${def.keySize} bytes`);
  if (def.valueSize !== 4 && def.valueSize !== 8) return problem("EINVAL", `the value is 4 (ifindex) or 8 bytes (ifindex, program fd), not ${def.valueSize}`);
  if (unknownFlags(def.flags, allowed) !== 0) return problem("EINVAL", `flags 0x${unknownFlags(def.flags, allowed).toString(16)} are not allowed for a devmap`);
  if (def.type === MapType.DEVMAP_HASH && def.maxEntries > 2 ** 31) return problem("E2BIG", "more than 2^31 entries");
  return undefined;
}

function checkCpumap(def: MapDef): DefProblem | undefined {
  if (def.maxEntries === 0) return problem("EINVAL", "max_entries is 0");
  if (def.keySize !== 4) return problem("EINVAL", `the key is a u32 CPU number, not ${def.keySize} bytes`);
  if (def.valueSize !== 4 && def.valueSize !== 8) return problem("EINVAL", `the value is 4 (queue size) or 8 bytes (queue size, program fd), not ${def.valueSize}`);
  if (unknownFlags(def.flags, MapFlag.NUMA_NODE) !== 0) return problem("EINVAL", "a cpumap takes no flags but BPF_F_NUMA_NODE");
  if (def.maxEntries > NR_CPUS) return problem("E2BIG", `more entries than NR_CPUS (${NR_CPUS})`);
  return undefined;
}

function checkXskmap(def: MapDef): DefProblem | undefined {
  const allowed = MapFlag.NUMA_NODE | MapFlag.RDONLY | MapFlag.WRONLY;
  if (def.maxEntries === 0) return problem("EINVAL", "max_entries is 0");
  if (def.keySize !== 4 || def.valueSize !== 4) return problem("EINVAL", "key and value must both be 4 bytes");
  if (unknownFlags(def.flags, allowed) !== 0) return problem("EINVAL", `flags 0x${unknownFlags(def.flags, allowed).toString(16)} are not allowed for an xskmap`);
  return undefined;
}

function checkQueueStack(def: MapDef): DefProblem | undefined {
  const allowed = MapFlag.NUMA_NODE | ACCESS_MASK;
  if (def.maxEntries === 0) return problem("EINVAL", "max_entries is 0");
  if (def.keySize !== 0) return problem("EINVAL", `a queue or stack has no key (key size 0, not ${def.keySize})`);
  if (def.valueSize === 0) return problem("EINVAL", "value size is 0");
  if (unknownFlags(def.flags, allowed) !== 0) return problem("EINVAL", `flags 0x${unknownFlags(def.flags, allowed).toString(16)} are not allowed for a queue or stack`);
  if (accessFlagsConflict(def.flags)) return problem("EINVAL", "read-only and write-only flags together");
  if (def.valueSize > KMALLOC_MAX_BYTES) return problem("E2BIG", "value size is too large");
  return undefined;
}

function checkBloomFilter(def: MapDef): DefProblem | undefined {
  const allowed = MapFlag.NUMA_NODE | MapFlag.ZERO_SEED | ACCESS_MASK;
  if (def.keySize !== 0) return problem("EINVAL", `a bloom filter has no key (key size 0, not ${def.keySize})`);
  if (def.valueSize === 0) return problem("EINVAL", "value size is 0");
  if (def.maxEntries === 0) return problem("EINVAL", "max_entries is 0");
  if (unknownFlags(def.flags, allowed) !== 0) return problem("EINVAL", `flags 0x${unknownFlags(def.flags, allowed).toString(16)} are not allowed for a bloom filter`);
  if (accessFlagsConflict(def.flags)) return problem("EINVAL", "read-only and write-only flags together");
  if (((def.mapExtra ?? 0) & ~BLOOM_HASH_FUNCS_MASK) !== 0) return problem("EINVAL", `map_extra ${def.mapExtra} has bits above the 4 that give the number of hash functions`);
  return undefined;
}

function checkRingbuf(def: MapDef): DefProblem | undefined {
  const size = def.maxEntries;
  if (unknownFlags(def.flags, MapFlag.NUMA_NODE) !== 0) return problem("EINVAL", "a ring buffer takes no flags but BPF_F_NUMA_NODE");
  if (def.keySize !== 0 || def.valueSize !== 0) return problem("EINVAL", "a ring buffer has key size and value size 0");
  const powerOfTwo = size > 0 && (size & (size - 1)) === 0;
  if (!powerOfTwo || size % PAGE_BYTES !== 0) return problem("EINVAL", `max_entries (the ring size, ${size}) must be a power of two and a multiple of ${PAGE_BYTES}`);
  return undefined;
}

function checkMapInMap(def: MapDef): DefProblem | undefined {
  const inner = def.inner;
  if (inner === undefined) return problem("EBADF", "a map of maps needs an inner map template");
  if (inner.type === MapType.ARRAY_OF_MAPS || inner.type === MapType.HASH_OF_MAPS) return problem("EINVAL", "maps of maps cannot nest");
  const innerProblem = checkDef(inner);
  if (innerProblem !== undefined) return { errno: innerProblem.errno, reason: `inner map template: ${innerProblem.reason}` };
  if (def.type === MapType.ARRAY_OF_MAPS) return checkFdArray(def);
  if (def.valueSize !== 4) return problem("EINVAL", `the value is a 4-byte fd, not ${def.valueSize} bytes`);
  return checkHash(def);
}

// The kernel's verdict on a definition: undefined when it would be accepted.
export function checkDef(def: MapDef): DefProblem | undefined {
  switch (def.type) {
    case MapType.ARRAY:
    case MapType.PERCPU_ARRAY:
      return checkArray(def);
    case MapType.PROG_ARRAY:
    case MapType.PERF_EVENT_ARRAY:
      return checkFdArray(def);
    case MapType.HASH:
    case MapType.PERCPU_HASH:
    case MapType.LRU_HASH:
    case MapType.LRU_PERCPU_HASH:
      return checkHash(def);
    case MapType.LPM_TRIE:
      return checkLpm(def);
    case MapType.DEVMAP:
    case MapType.DEVMAP_HASH:
      return checkDevmap(def);
    case MapType.CPUMAP:
      return checkCpumap(def);
    case MapType.XSKMAP:
      return checkXskmap(def);
    case MapType.QUEUE:
    case MapType.STACK:
      return checkQueueStack(def);
    case MapType.RINGBUF:
      return checkRingbuf(def);
    case MapType.BLOOM_FILTER:
      return checkBloomFilter(def);
    case MapType.ARRAY_OF_MAPS:
    case MapType.HASH_OF_MAPS:
      return checkMapInMap(def);
    default:
      return problem("EINVAL", "this map type is not simulated");
  }
}
