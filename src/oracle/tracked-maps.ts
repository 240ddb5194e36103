// The interpreter's maps as the differential check sees them: the live
// simulated maps, plus a cached copy of their contents that is refreshed
// only where a run touched them, so that comparing with the kernel after
// every packet costs what the packet changed, not the size of the maps.
//
// A run gets wrappers of the maps that note every key the program looks
// up, updates or deletes (a lookup hands out a live value, which the
// program may write). Whatever a wrapper cannot see (pushes, pops, inner
// maps of maps) marks the whole map for a full re-read, as does an LRU map
// whose element count no longer matches after the touched keys are re-read
// (an update evicted another key).
import type { BpfMap, MapEntry, SimMap } from "../maps/index.ts";
import { isComparedMapType, isKeysOnlyMapType, isPerCpuMapType, type MapSnapshot, type Snapshot } from "./map-snapshot.ts";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const fromHex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, "hex"));


// What one run touched in one map.
export interface Touches {
  readonly keys: Set<string>;
  all: boolean;
}

export const noTouches = (count: number): Touches[] => Array.from({ length: count }, () => ({ keys: new Set<string>(), all: false }));

// A wrapper of `map` for one run that records into `touches`. Optional operations are present exactly when the map has them.
export function trackingView(map: BpfMap, touches: Touches): BpfMap {
  const note = (key: Uint8Array): void => void touches.keys.add(hex(key.subarray(0, map.def.keySize)));
  const view: BpfMap = {
    def: map.def,
    ...(map.cpus === undefined ? {} : { cpus: map.cpus }),
    lookup: (key, cpu) => (note(key), map.lookup(key, cpu)),
    update: (key, value, flags, cpu) => (note(key), map.update(key, value, flags, cpu)),
    delete: (key) => (note(key), map.delete(key)),
    getNextKey: (key) => map.getNextKey(key),
  };
  const all = (): void => void (touches.all = true);
  const optional: Partial<BpfMap> = {
    ...(map.push && { push: (value: Uint8Array, flags: number) => (all(), map.push!(value, flags)) }),
    ...(map.pop && { pop: () => (all(), map.pop!()) }),
    ...(map.peek && { peek: () => map.peek!() }),
    ...(map.contains && { contains: (value: Uint8Array) => map.contains!(value) }),
    ...(map.readValue && { readValue: (key: Uint8Array, cpu: number) => (note(key), map.readValue!(key, cpu)) }),
    ...(map.redirectTarget && { redirectTarget: (key: number) => map.redirectTarget!(key) }),
    ...(map.tailCallTarget && { tailCallTarget: (index: number) => map.tailCallTarget!(index) }),
    ...(map.innerMap && { innerMap: (key: Uint8Array) => (all(), map.innerMap!(key)) }),
    ...(map.ringbuf && { ringbuf: map.ringbuf }),
    ...(map.perfEventOutput && { perfEventOutput: (flags: bigint, data: Uint8Array, cpu: number) => map.perfEventOutput!(flags, data, cpu) }),
  };
  return { ...view, ...optional };
}

function entryValues(entry: MapEntry): Uint8Array[] {
  if (entry.perCpu !== undefined) return [...entry.perCpu];
  return entry.value !== undefined ? [entry.value] : [];
}

// Splits a syscall-side value (per-CPU: each CPU's value rounded up to 8 bytes) into values.
export function syscallValues(map: SimMap, raw: Uint8Array): Uint8Array[] {
  if (!isPerCpuMapType(map.def.type)) return [raw.slice(0, map.def.valueSize)];
  const stride = Math.ceil(map.def.valueSize / 8) * 8;
  return Array.from({ length: map.cpus }, (_, cpu) => raw.slice(cpu * stride, cpu * stride + map.def.valueSize));
}

export class TrackedMaps {
  private cache: Map<string, Uint8Array[]>[];

  constructor(private live: SimMap[]) {
    this.cache = live.map((map) => readAll(map));
  }

  get maps(): readonly SimMap[] {
    return this.live;
  }

  // Replaces the live maps by `maps` (the state a chosen run left), re-reading what it touched.
  adopt(maps: SimMap[], touches: readonly Touches[]): void {
    this.live = maps;
    this.refresh(touches);
  }

  // Re-reads what a run (or a write from outside) touched.
  refresh(touches: readonly Touches[]): void {
    touches.forEach((touched, index) => {
      const map = this.live[index];
      if (!isComparedMapType(map.def.type)) return;
      if (touched.all) {
        this.cache[index] = readAll(map);
        return;
      }
      if (touched.keys.size === 0) return;
      const cached = this.cache[index];
      for (const key of touched.keys) {
        const value = map.sysLookup(fromHex(key));
        if (typeof value === "number") cached.delete(key);
        else cached.set(key, isKeysOnlyMapType(map.def.type) ? [] : syscallValues(map, value));
      }
      const count = (map as { count?: number }).count;
      if (count !== undefined && count !== cached.size) this.cache[index] = readAll(map);
    });
  }

  snapshot(): Snapshot {
    return this.live.flatMap((map, index) => {
      if (!isComparedMapType(map.def.type)) return [];
      const snapshot: MapSnapshot = { name: map.def.name, perCpu: isPerCpuMapType(map.def.type), keysOnly: isKeysOnlyMapType(map.def.type), entries: this.cache[index] };
      return [{ index, map: snapshot }];
    });
  }
}

function readAll(map: SimMap): Map<string, Uint8Array[]> {
  const entries = new Map<string, Uint8Array[]>();
  if (!isComparedMapType(map.def.type)) return entries;
  for (const entry of map.entries()) entries.set(hex(entry.key), isKeysOnlyMapType(map.def.type) ? [] : entryValues(entry));
  return entries;
}
