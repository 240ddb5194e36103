// Loading a map's initial contents from JSON (the CLI's --map name=file.json).
// The file is an object {"entries": [{"key": K, "value": V}, ...]} (a bare
// array of entries is accepted too), optionally naming "map" and "type" (which
// must then match), or for a queue or stack {"values": [V, ...]} oldest
// first (for a bloom filter: the values to add). K and V use the notations of byte-spec.ts; a per-CPU value is V (the
// same on every CPU) or {"percpu": [V, V, ...]} with one value per CPU; a map
// of maps takes {"map": "inner name"}. A dump (dump.ts) loads back as is.
// Each entry goes in as a syscall-side BPF_ANY update, so the kernel's errors
// apply (an index past an array's end, a full hash); every problem is a
// MapError naming the file, the entry and what is wrong.

import { parseByteSpec } from "./byte-spec.ts";
import { roundUp8 } from "./bytes.ts";
import { errnoName } from "./errno.ts";
import { ArrayOfMaps, HashOfMaps } from "./map-in-map.ts";
import { MapError } from "./map-error.ts";
import { MapType, UpdateFlag, mapTypeName } from "./types.ts";
import type { BpfMap, SimMap } from "./types.ts";
import { readInputText } from "../input-file.ts";

export interface LoadOptions {
  // Maps a {"map": name} value may refer to (maps of maps).
  readonly mapsByName?: ReadonlyMap<string, BpfMap>;
}

const PER_CPU_TYPES: ReadonlySet<number> = new Set([MapType.PERCPU_ARRAY, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH]);

class Where {
  constructor(
    readonly map: SimMap,
    readonly file: string,
  ) {}

  error(place: string, problem: string): MapError {
    return new MapError(`${this.file}: map "${this.map.def.name}", ${place}: ${problem}.`, { file: this.file, map: this.map.def.name, entry: place });
  }

  bytes(place: string, spec: unknown, size: number, what: string): Uint8Array {
    const parsed = parseByteSpec(spec);
    if (!("bytes" in parsed)) throw this.error(place, parsed.problem);
    if (parsed.bytes.length !== size) throw this.error(place, `the ${what} is ${parsed.bytes.length} bytes, the map's ${what} size is ${size}`);
    return parsed.bytes;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function perCpuValue(where: Where, place: string, spec: unknown): Uint8Array {
  const { map } = where;
  const slotBytes = roundUp8(map.def.valueSize);
  const buffer = new Uint8Array(slotBytes * map.cpus);
  const perCpu = isRecord(spec) && "percpu" in spec ? spec.percpu : undefined;
  if (perCpu === undefined) {
    const value = where.bytes(`${place}.value`, spec, map.def.valueSize, "value");
    for (let cpu = 0; cpu < map.cpus; cpu++) buffer.set(value, cpu * slotBytes);
    return buffer;
  }
  if (!Array.isArray(perCpu) || perCpu.length !== map.cpus) {
    throw where.error(`${place}.value.percpu`, `needs one value per CPU (${map.cpus})`);
  }
  perCpu.forEach((item, cpu) => buffer.set(where.bytes(`${place}.value.percpu[${cpu}]`, item, map.def.valueSize, "value"), cpu * slotBytes));
  return buffer;
}

function loadEntry(where: Where, index: number, entry: unknown, opts: LoadOptions): void {
  const { map } = where;
  const place = `entries[${index}]`;
  if (!isRecord(entry)) throw where.error(place, `an entry is an object {"key": ..., "value": ...}`);
  for (const field of Object.keys(entry)) {
    if (!["key", "value", "percpu", "map"].includes(field)) throw where.error(place, `unknown field "${field}"`);
  }
  if (!("key" in entry)) throw where.error(place, `the entry has no "key"`);
  const key = where.bytes(`${place}.key`, entry.key, map.def.keySize, "key");
  // A dump writes per-CPU values and inner maps beside the key; a hand-written file inside "value".
  const valueSpec = "percpu" in entry ? { percpu: entry.percpu } : "map" in entry ? { map: entry.map } : entry.value;
  if (valueSpec === undefined) throw where.error(place, `the entry has no "value"`);
  let result: number;
  if (map instanceof ArrayOfMaps || map instanceof HashOfMaps) {
    const name = isRecord(valueSpec) ? valueSpec.map : undefined;
    if (typeof name !== "string") throw where.error(`${place}.value`, `a map of maps takes {"map": "inner map name"}`);
    const inner = opts.mapsByName?.get(name);
    if (inner === undefined) throw where.error(`${place}.value`, `no map named "${name}" is known`);
    result = map.setInner(key, inner, UpdateFlag.ANY);
  } else {
    const value = PER_CPU_TYPES.has(map.def.type) ? perCpuValue(where, place, valueSpec) : where.bytes(`${place}.value`, valueSpec, map.def.valueSize, "value");
    result = map.sysUpdate(key, value, UpdateFlag.ANY, 0);
  }
  if (result !== 0) throw where.error(place, `the update fails with ${errnoName(result)}, as it would in the kernel`);
}

// Applies the contents described by `json` (already parsed) to `map`; `file` names the source in errors.
export function loadMapJson(map: SimMap, json: unknown, file: string, opts: LoadOptions = {}): void {
  const where = new Where(map, file);
  const document = Array.isArray(json) ? { entries: json } : json;
  if (!isRecord(document)) throw where.error("top level", `expected an object with "entries" (or "values" for a queue, stack or bloom filter)`);
  if (document.map !== undefined && document.map !== map.def.name) throw where.error("top level", `the file is for map "${String(document.map)}"`);
  if (document.type !== undefined && document.type !== mapTypeName(map.def.type)) {
    throw where.error("top level", `the file is for a ${String(document.type)} map, this one is a ${mapTypeName(map.def.type)}`);
  }
  if (map.def.type === MapType.QUEUE || map.def.type === MapType.STACK || map.def.type === MapType.BLOOM_FILTER) {
    const values = document.values ?? [];
    if (!Array.isArray(values)) throw where.error("values", "expected an array of values, oldest first");
    values.forEach((spec, index) => {
      const result = map.sysUpdate(undefined, where.bytes(`values[${index}]`, spec, map.def.valueSize, "value"), UpdateFlag.ANY, 0);
      if (result !== 0) throw where.error(`values[${index}]`, `the push fails with ${errnoName(result)}, as it would in the kernel`);
    });
    return;
  }
  if (Array.isArray(document.records) && document.records.length > 0) throw where.error("records", "ring buffer records cannot be loaded");
  const entries = document.entries ?? [];
  if (!Array.isArray(entries)) throw where.error("entries", "expected an array of entries");
  if (map.def.type === MapType.RINGBUF && entries.length > 0) throw where.error("entries", "a ring buffer has no entries to load");
  entries.forEach((entry, index) => loadEntry(where, index, entry, opts));
}

// Reads `path` and loads it into `map`.
export function loadMapFile(map: SimMap, path: string, opts: LoadOptions = {}): void {
  const text = readInputText(path);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new MapError(`${path}: map "${map.def.name}": not valid JSON (${(error as Error).message}).`, { file: path, map: map.def.name });
  }
  loadMapJson(map, json, path, opts);
}
