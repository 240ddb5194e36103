// Field values that make a program's map lookups hit: the addresses, ports and
// VLAN ids its maps hold. They are harvested from the bytes of every key (and
// of small array values, where load balancers keep backend addresses) as
// windows at every offset, since a key is usually a struct of packet fields in
// network order (a flow key, an LPM {prefixlen, addr}, a be16 port).
import { MapType, type BpfMap, type MapEntry } from "../maps/index.ts";

export interface PacketPool {
  readonly ipv4: readonly Uint8Array[];
  readonly ipv6: readonly Uint8Array[];
  // 16-bit values in both byte orders (a key may hold a port in host order).
  readonly ports: readonly number[];
  readonly vlanIds: readonly number[];
}

export const EMPTY_POOL: PacketPool = { ipv4: [], ipv6: [], ports: [], vlanIds: [] };

const IPV4_BYTES = 4;
const IPV6_BYTES = 16;
// IEEE 802.1Q: the VLAN id is the low 12 bits of the TCI.
const VLAN_ID_MASK = 0xfff;
// Values wider than this are not searched for addresses (a 1 KiB blob is no address table).
const MAX_HARVESTED_VALUE_BYTES = 64;
// Enough distinct values for the packet arbitrary to pick from; more only slows shrinking.
const MAX_POOL_VALUES = 256;
// Entries searched per map (a table filled to capacity adds nothing after its first entries).
const MAX_HARVESTED_ENTRIES = 64;

const KEYED_TYPES: ReadonlySet<number> = new Set([MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH, MapType.LRU_PERCPU_HASH, MapType.LPM_TRIE]);
const VALUE_TYPES: ReadonlySet<number> = new Set([MapType.ARRAY, MapType.HASH, MapType.LRU_HASH]);

// Pools of maps already searched (base maps are shared by every case of a run).
const poolCache = new WeakMap<BpfMap, PacketPool>();

export function harvestPool(maps: readonly BpfMap[]): PacketPool {
  const pools = maps.map((map) => {
    let pool = poolCache.get(map);
    if (pool === undefined) {
      pool = harvestMap(map);
      poolCache.set(map, pool);
    }
    return pool;
  });
  const join = <T>(part: (p: PacketPool) => readonly T[]): T[] => [...new Set(pools.flatMap(part))].slice(0, MAX_POOL_VALUES);
  const distinctBytes = (part: (p: PacketPool) => readonly Uint8Array[]): Uint8Array[] => {
    const seen = new Distinct();
    for (const p of pools) for (const b of part(p)) seen.add(b);
    return seen.values.slice(0, MAX_POOL_VALUES);
  };
  return { ipv4: distinctBytes((p) => p.ipv4), ipv6: distinctBytes((p) => p.ipv6), ports: join((p) => p.ports), vlanIds: join((p) => p.vlanIds) };
}

function harvestMap(map: BpfMap): PacketPool {
  const ipv4 = new Distinct();
  const ipv6 = new Distinct();
  const ports = new Set<number>();
  const vlanIds = new Set<number>();
  const addWindows = (bytes: Uint8Array): void => {
    for (let at = 0; at + IPV4_BYTES <= bytes.length; at++) ipv4.add(bytes.subarray(at, at + IPV4_BYTES));
    for (let at = 0; at + IPV6_BYTES <= bytes.length; at++) ipv6.add(bytes.subarray(at, at + IPV6_BYTES));
    for (let at = 0; at + 2 <= bytes.length; at++) {
      const be = (bytes[at] << 8) | bytes[at + 1];
      const le = (bytes[at + 1] << 8) | bytes[at];
      ports.add(be).add(le);
      vlanIds.add(be & VLAN_ID_MASK).add(le & VLAN_ID_MASK);
    }
  };
  const entries: readonly MapEntry[] = (map.entries?.() ?? []).slice(0, MAX_HARVESTED_ENTRIES);
  for (const entry of entries) {
    if (KEYED_TYPES.has(map.def.type)) addWindows(entry.key);
    if (VALUE_TYPES.has(map.def.type) && entry.value !== undefined && entry.value.length <= MAX_HARVESTED_VALUE_BYTES && !allZero(entry.value)) addWindows(entry.value);
  }
  return {
    ipv4: ipv4.values.slice(0, MAX_POOL_VALUES),
    ipv6: ipv6.values.slice(0, MAX_POOL_VALUES),
    ports: [...ports].slice(0, MAX_POOL_VALUES),
    vlanIds: [...vlanIds].slice(0, MAX_POOL_VALUES),
  };
}

const allZero = (bytes: Uint8Array): boolean => bytes.every((b) => b === 0);

class Distinct {
  readonly values: Uint8Array[] = [];
  private readonly seen = new Set<string>();
  add(bytes: Uint8Array): void {
    const key = Buffer.from(bytes).toString("hex");
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.values.push(bytes.slice());
  }
}
