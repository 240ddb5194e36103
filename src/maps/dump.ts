// A map's contents as plain JSON data, deterministic so that two maps can be
// compared by comparing dumps: entries in the map's canonical order (arrays
// by index, other kinds by key bytes), keys and values as lowercase hex,
// per-CPU values as one hex string per CPU, maps of maps naming the inner
// map, queues and stacks as their values oldest first, ring buffers as the
// submitted records not yet consumed. loadMapJson reads the same format back.

import { ArrayMap } from "./array.ts";
import { toHex } from "./bytes.ts";
import { RingbufMap } from "./ringbuf.ts";
import { MapType, mapTypeName } from "./types.ts";
import type { BpfMap, MapEntry, SimMap } from "./types.ts";

export interface DumpEntry {
  readonly key: string;
  readonly value?: string;
  readonly percpu?: readonly string[];
  readonly map?: string;
}

export interface MapDump {
  readonly map: string;
  readonly type: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly cpus: number;
  readonly entries: readonly DumpEntry[];
  // Queue and stack values, oldest first.
  readonly values?: readonly string[];
  // Ring buffer records submitted and not yet consumed, oldest first.
  readonly records?: readonly string[];
}

function dumpEntry(entry: MapEntry): DumpEntry {
  const key = toHex(entry.key);
  if (entry.inner !== undefined) return { key, map: innerName(entry.inner) };
  if (entry.perCpu !== undefined) return { key, percpu: entry.perCpu.map(toHex) };
  return { key, value: toHex(entry.value ?? new Uint8Array(0)) };
}

function innerName(inner: BpfMap): string {
  return inner.def.name;
}

export function dumpMap(map: SimMap): MapDump {
  const header = {
    map: map.def.name,
    type: mapTypeName(map.def.type),
    keySize: map.def.keySize,
    valueSize: map.def.valueSize,
    maxEntries: map.def.maxEntries,
    flags: map.def.flags,
    cpus: map.cpus,
  };
  if (map.def.type === MapType.QUEUE || map.def.type === MapType.STACK) {
    return { ...header, entries: [], values: map.entries().map((entry) => toHex(entry.value ?? new Uint8Array(0))) };
  }
  if (map instanceof RingbufMap) return { ...header, entries: [], records: map.pendingRecords().map(toHex) };
  if (map instanceof ArrayMap && map.def.maxEntries >= CACHED_ARRAY_ENTRIES) return cachedArrayDump(map, () => ({ ...header, entries: map.entries().map(dumpEntry) }));
  return { ...header, entries: map.entries().map(dumpEntry) };
}

// Arrays this large have their dumps remembered: a dump lists every index, and the
// equivalence checks dump the same big, mostly unchanged array (a consistent-hash
// ring of 262,148 slots) on every side of every case. A dump is plain readonly data,
// so arrays with the same definition, CPU count and stored bytes share one.
const CACHED_ARRAY_ENTRIES = 4096;
const CACHED_DUMPS_PER_DEF = 4;
const arrayDumps = new WeakMap<object, { readonly cpus: number; readonly bytes: Uint8Array; readonly dump: MapDump }[]>();

function cachedArrayDump(map: ArrayMap, make: () => MapDump): MapDump {
  const stored = map.storedBytes();
  const known = arrayDumps.get(map.def) ?? [];
  const hit = known.find((c) => c.cpus === map.cpus && Buffer.compare(c.bytes, stored) === 0);
  if (hit !== undefined) return hit.dump;
  const dump = make();
  arrayDumps.set(map.def, [{ cpus: map.cpus, bytes: stored.slice(), dump }, ...known].slice(0, CACHED_DUMPS_PER_DEF));
  return dump;
}

// The dump as JSON text, one entry per line.
export function formatMapDump(dump: MapDump): string {
  const { entries, values, records, ...header } = dump;
  const lines = [`{`, ...Object.entries(header).map(([name, value]) => `  ${JSON.stringify(name)}: ${JSON.stringify(value)},`)];
  const list = (name: string, items: readonly unknown[]): string =>
    items.length === 0 ? `  ${JSON.stringify(name)}: []` : `  ${JSON.stringify(name)}: [\n${items.map((item) => `    ${JSON.stringify(item)}`).join(",\n")}\n  ]`;
  const parts = [list("entries", entries)];
  if (values !== undefined) parts.push(list("values", values));
  if (records !== undefined) parts.push(list("records", records));
  return `${lines.join("\n")}\n${parts.join(",\n")}\n}\n`;
}
