// createMap: the one way to make a map. Checks the definition by the
// kernel's rules, applies the kernel's adjustments (BPF_F_NO_COMMON_LRU
// rounds max_entries up to a multiple of the CPU count), and picks the
// module that implements the kind.

import { ArrayMap } from "./array.ts";
import { BloomFilterMap } from "./bloom-filter.ts";
import { CpuMap } from "./cpumap.ts";
import { DevMap, DevMapHash } from "./devmap.ts";
import { MapFlag } from "./flags.ts";
import { HashMap } from "./hash.ts";
import { LpmTrieMap } from "./lpm-trie.ts";
import { LruHashMap } from "./lru-hash.ts";
import { ArrayOfMaps, HashOfMaps } from "./map-in-map.ts";
import type { MapResolver } from "./map-in-map.ts";
import { MapError } from "./map-error.ts";
import { PerfEventArrayMap } from "./perf-event-array.ts";
import { ProgArrayMap } from "./prog-array.ts";
import { QueueStackMap } from "./queue-stack.ts";
import { RingbufMap } from "./ringbuf.ts";
import { MapType, mapTypeName } from "./types.ts";
import type { MapDef, SimMap } from "./types.ts";
import { checkDef } from "./validate.ts";
import { XskMap } from "./xskmap.ts";

export interface CreateMapOptions {
  // Simulated possible CPUs (per-CPU slots, LRU lists, cpumap targets); default 1.
  readonly cpus?: number;
  // Interface indexes a devmap accepts; default: any non-zero ifindex.
  readonly netdevs?: readonly number[];
  // Resolves the u32 a map-of-maps update carries (the kernel's inner map fd) to a map.
  readonly resolveMap?: MapResolver;
}

function describe(def: MapDef): string {
  return `map "${def.name}" (${mapTypeName(def.type)})`;
}

// The definition the kernel ends up with (what BPF_OBJ_GET_INFO_BY_FD reports).
function adjustedDef(def: MapDef, cpus: number): MapDef {
  const lru = def.type === MapType.LRU_HASH || def.type === MapType.LRU_PERCPU_HASH;
  if (!lru || (def.flags & MapFlag.NO_COMMON_LRU) === 0) return def;
  // htab_map_alloc: each CPU's list gets the same number of elements.
  return { ...def, maxEntries: Math.ceil(def.maxEntries / cpus) * cpus };
}

export function createMap(def: MapDef, opts: CreateMapOptions = {}): SimMap {
  const cpus = opts.cpus ?? 1;
  if (!Number.isInteger(cpus) || cpus < 1) {
    throw new MapError(`${describe(def)}: the CPU count must be a positive integer, not ${cpus}.`, { map: def.name });
  }
  const sizes = [def.keySize, def.valueSize, def.maxEntries, def.flags];
  if (!sizes.every((n) => Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff)) {
    throw new MapError(`${describe(def)}: key size, value size, max_entries and flags must be u32 integers.`, { map: def.name });
  }
  const issue = checkDef(def);
  if (issue !== undefined) {
    throw new MapError(`${describe(def)}: ${issue.reason}; the kernel refuses it with ${issue.errno}.`, { map: def.name });
  }
  const effective = adjustedDef(def, cpus);
  const netdevs = opts.netdevs === undefined ? undefined : new Set(opts.netdevs);
  switch (effective.type) {
    case MapType.ARRAY:
      return new ArrayMap(effective, cpus, false);
    case MapType.PERCPU_ARRAY:
      return new ArrayMap(effective, cpus, true);
    case MapType.HASH:
      return new HashMap(effective, cpus, false);
    case MapType.PERCPU_HASH:
      return new HashMap(effective, cpus, true);
    case MapType.LRU_HASH:
      return new LruHashMap(effective, cpus, false);
    case MapType.LRU_PERCPU_HASH:
      return new LruHashMap(effective, cpus, true);
    case MapType.LPM_TRIE:
      return new LpmTrieMap(effective, cpus);
    case MapType.PROG_ARRAY:
      return new ProgArrayMap(effective, cpus);
    case MapType.PERF_EVENT_ARRAY:
      return new PerfEventArrayMap(effective, cpus);
    case MapType.DEVMAP:
      return new DevMap(effective, cpus, netdevs);
    case MapType.DEVMAP_HASH:
      return new DevMapHash(effective, cpus, netdevs);
    case MapType.CPUMAP:
      return new CpuMap(effective, cpus);
    case MapType.XSKMAP:
      return new XskMap(effective, cpus);
    case MapType.ARRAY_OF_MAPS:
      return new ArrayOfMaps(effective, cpus, opts.resolveMap);
    case MapType.HASH_OF_MAPS:
      return new HashOfMaps(effective, cpus, opts.resolveMap);
    case MapType.QUEUE:
      return new QueueStackMap(effective, cpus, false);
    case MapType.STACK:
      return new QueueStackMap(effective, cpus, true);
    case MapType.RINGBUF:
      return new RingbufMap(effective, cpus);
    case MapType.BLOOM_FILTER:
      return new BloomFilterMap(effective, cpus);
    default:
      throw new MapError(`${describe(def)}: this map type is not simulated.`, { map: def.name });
  }
}
