// An eBPF object (as src/elf loads it) made runnable by the interpreter: one
// simulated map per map of the object (the index the program's map
// references use), the initial slots the object declares filled as libbpf
// fills them at load, contents loaded from JSON the way `--map name=file.json`
// gives them (on top of those slots), prog_array slots naming programs of the
// object, and the programs a tail call can reach. Every syscall-side write
// made while loading is recorded in order, so the kernel side can replay
// exactly the same writes (the order matters to LRU maps).
import type { Program } from "../ebpf/instruction.ts";
import type { BpfObject, BpfProgram } from "../elf/bpf-object.ts";
import type { InitialSlot } from "../elf/map-slots.ts";
import { OffloadSimError } from "../errors.ts";
import { createMap, errnoName, loadMapJson, MapType, UpdateFlag, type SimMap } from "../maps/index.ts";
import { ArrayOfMaps, HashOfMaps } from "../maps/map-in-map.ts";
import { readInputText } from "../input-file.ts";

// A user mistake in what was asked of an object: an unknown program or map, a malformed --map.
export class ObjectSetupError extends OffloadSimError {}

// A write made through the syscall side while loading contents, replayable on the kernel.
export type MapWrite =
  // `value` as the syscall carries it (per-CPU maps: every CPU's value, each rounded up to 8 bytes).
  | { readonly kind: "update"; readonly mapIndex: number; readonly key: Uint8Array; readonly value: Uint8Array; readonly flags: number }
  // A prog_array slot set to a program of the object.
  | { readonly kind: "prog-slot"; readonly mapIndex: number; readonly slot: number; readonly program: string }
  // An array/hash-of-maps entry set to another map of the object.
  | { readonly kind: "inner-map"; readonly mapIndex: number; readonly key: Uint8Array; readonly innerMapIndex: number };

export interface ObjectMaps {
  readonly object: BpfObject;
  // Index i is the simulated map for object.maps[i].
  readonly maps: readonly SimMap[];
  // What the loads wrote, in order.
  readonly writes: readonly MapWrite[];
}

// The program to run: the one named, or the object's only autoloaded program.
export function selectProgram(object: BpfObject, name: string | undefined): BpfProgram {
  const candidates = object.programs.filter((p) => p.autoload);
  if (name !== undefined) {
    const program = object.programs.find((p) => p.name === name);
    if (program === undefined) {
      throw new ObjectSetupError(`${object.fileName} has no program named '${name}' (it has: ${namesOf(object.programs)}).`, { file: object.fileName });
    }
    return program;
  }
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0) throw new ObjectSetupError(`${object.fileName} holds no program to run.`, { file: object.fileName });
  throw new ObjectSetupError(`${object.fileName} holds ${candidates.length} programs (${namesOf(candidates)}); name one with --prog.`, { file: object.fileName });
}

// The program to run, which must be an XDP program (the interpreter and the kernel's test run here take XDP contexts).
export function selectXdpProgram(object: BpfObject, name: string | undefined): BpfProgram {
  const program = selectProgram(object, name);
  if (program.type !== "xdp") {
    throw new ObjectSetupError(`${object.fileName}: program '${program.name}' is a ${program.type} program (section ${program.section}); only XDP programs can be run.`, { file: object.fileName });
  }
  return program;
}

const namesOf = (programs: readonly BpfProgram[]): string => programs.map((p) => p.name).join(", ") || "none";

// The id a prog_array slot holds for a program of the object (its index in object.programs).
export function programId(object: BpfObject, name: string): number | undefined {
  const index = object.programs.findIndex((p) => p.name === name);
  return index < 0 ? undefined : index;
}

// Every program of the object by its id, for bpf_tail_call.
export function tailCallPrograms(object: BpfObject): ReadonlyMap<number, Program> {
  return new Map(object.programs.map((p, index) => [index, p.insns]));
}

// The object's maps as the kernel would hold them right after libbpf loaded it: empty
// hashes, zeroed arrays, global data with its initial bytes, and the slots the object
// declares (`.values = { [i] = &prog }` or `&inner_map`) filled, as libbpf's
// bpf_object__init_prog_arrays and init_map_in_map_slots do after creating the maps.
export function createObjectMaps(object: BpfObject, cpus: number): ObjectMaps {
  const maps = object.maps.map((def) => createMap(def, { cpus }));
  const writes: MapWrite[] = [];
  for (const initial of object.initialSlots ?? []) writes.push(fillInitialSlot(object, maps, initial));
  return { object, maps, writes };
}

function fillInitialSlot(object: BpfObject, maps: readonly SimMap[], initial: InitialSlot): MapWrite {
  const { mapIndex, slot, target } = initial;
  const outer = maps[mapIndex];
  // libbpf writes the slot index as an int key.
  const key = u32(slot);
  const refused = (result: number): ObjectSetupError =>
    new ObjectSetupError(`${object.fileName}: the initial slot ${initial.mapName}[${slot}] = ${target.name} fails with ${errnoName(result)}, as it would when libbpf loads the object.`, { file: object.fileName });
  if (target.kind === "program") {
    const id = programId(object, target.name);
    if (id === undefined) throw new ObjectSetupError(`${object.fileName}: the initial slot ${initial.mapName}[${slot}] names program '${target.name}', which the object does not have.`, { file: object.fileName });
    const result = outer.sysUpdate(key, u32(id), UpdateFlag.ANY, 0);
    if (result !== 0) throw refused(result);
    return { kind: "prog-slot", mapIndex, slot, program: target.name };
  }
  if (!(outer instanceof ArrayOfMaps || outer instanceof HashOfMaps)) {
    throw new ObjectSetupError(`${object.fileName}: the initial slot ${initial.mapName}[${slot}] names map '${target.name}', but '${initial.mapName}' is not a map of maps.`, { file: object.fileName });
  }
  const result = outer.setInner(key, maps[target.mapIndex], UpdateFlag.ANY);
  if (result !== 0) throw refused(result);
  return { kind: "inner-map", mapIndex, key, innerMapIndex: target.mapIndex };
}

// `name=file.json` as --map takes it.
export function parseMapAssignment(text: string): { readonly map: string; readonly file: string } {
  const at = text.indexOf("=");
  if (at <= 0 || at === text.length - 1) throw new ObjectSetupError(`--map takes name=file.json, got '${text}'.`);
  return { map: text.slice(0, at), file: text.slice(at + 1) };
}

export function mapIndexNamed(object: BpfObject, name: string, source: string): number {
  const index = object.maps.findIndex((def) => def.name === name);
  if (index < 0) {
    const known = object.maps.map((def) => def.name).join(", ") || "none";
    throw new ObjectSetupError(`${source}: ${object.fileName} has no map named '${name}' (its maps: ${known}).`, { file: source });
  }
  return index;
}

// Loads `json` (the map file format of src/maps/load.ts; a prog_array entry may name a
// program of the object as {"key": K, "program": "name"}) into the map called `name`.
// Returns the setup with the writes made appended.
export function loadMapContent(setup: ObjectMaps, name: string, json: unknown, source: string): ObjectMaps {
  const mapIndex = mapIndexNamed(setup.object, name, source);
  const map = setup.maps[mapIndex];
  if (map.def.frozen === true && map.def.initialValue !== undefined) return patchFrozenData(setup, mapIndex, json, source);
  const writes: MapWrite[] = [...setup.writes];
  const rest = map.def.type === MapType.PROG_ARRAY ? fillProgramSlots(setup.object, map, mapIndex, json, source, writes) : json;
  recordUpdates(setup.maps, mapIndex, writes, () => loadMapJson(map, rest, source, { mapsByName: mapsByName(setup) }));
  return { ...setup, writes };
}

// A frozen global-data map (.rodata) takes its contents before it is frozen, as a libbpf skeleton
// patches `skel->rodata` between open and load: the file's contents become the object's initial
// value (so the kernel side creates the map with them, and the verifier reads them), and the map
// is made again from it. No write is recorded: there is nothing to replay on a frozen map.
function patchFrozenData(setup: ObjectMaps, mapIndex: number, json: unknown, source: string): ObjectMaps {
  const def = setup.object.maps[mapIndex];
  const scratch = createMap({ ...def, frozen: false }, { cpus: setup.maps[mapIndex].cpus });
  loadMapJson(scratch, json, source);
  const value = scratch.sysLookup(new Uint8Array(def.keySize));
  if (typeof value === "number") throw new ObjectSetupError(`${source}: map '${def.name}' could not be read back after loading (${errnoName(value)}).`, { file: source });
  const patched = { ...def, initialValue: value };
  const object = { ...setup.object, maps: setup.object.maps.map((d, i) => (i === mapIndex ? patched : d)) };
  const maps = setup.maps.map((m, i) => (i === mapIndex ? createMap(patched, { cpus: m.cpus }) : m));
  return { object, maps, writes: setup.writes };
}

export function loadMapFileContent(setup: ObjectMaps, name: string, file: string): ObjectMaps {
  mapIndexNamed(setup.object, name, file);
  let json: unknown;
  try {
    json = JSON.parse(readInputText(file));
  } catch (error) {
    if (error instanceof SyntaxError) throw new ObjectSetupError(`${file}: not valid JSON (${error.message}).`, { file });
    throw error;
  }
  return loadMapContent(setup, name, json, file);
}

function mapsByName(setup: ObjectMaps): ReadonlyMap<string, SimMap> {
  return new Map(setup.maps.map((map) => [map.def.name, map]));
}

// Runs `load` with the map's sysUpdate (and, for a map of maps, setInner) observed, so each
// successful write is recorded.
function recordUpdates(maps: readonly SimMap[], mapIndex: number, writes: MapWrite[], load: () => void): void {
  const map = maps[mapIndex];
  const outer = map instanceof ArrayOfMaps || map instanceof HashOfMaps ? map : undefined;
  const original = map.sysUpdate;
  const observed: SimMap["sysUpdate"] = (key, value, flags, cpu) => {
    const result = original.call(map, key, value, flags, cpu);
    // A map of maps stores through setInner, recorded below.
    if (result === 0 && !outer) writes.push({ kind: "update", mapIndex, key: (key ?? new Uint8Array(0)).slice(), value: value.slice(), flags });
    return result;
  };
  Object.defineProperty(map, "sysUpdate", { value: observed, configurable: true, writable: true });
  if (outer) {
    const setInner = outer.setInner;
    const observedInner: typeof setInner = (key, inner, flags, id) => {
      const result = setInner.call(outer, key, inner, flags, id);
      const innerMapIndex = maps.indexOf(inner as SimMap);
      if (result === 0 && innerMapIndex >= 0) writes.push({ kind: "inner-map", mapIndex, key: key.slice(), innerMapIndex });
      return result;
    };
    Object.defineProperty(outer, "setInner", { value: observedInner, configurable: true, writable: true });
  }
  try {
    load();
  } finally {
    delete (map as { sysUpdate?: unknown }).sysUpdate;
    if (outer) delete (outer as { setInner?: unknown }).setInner;
  }
}

// Sets the {"program": name} entries of a prog_array and returns the document without them.
function fillProgramSlots(object: BpfObject, map: SimMap, mapIndex: number, json: unknown, source: string, writes: MapWrite[]): unknown {
  const document = Array.isArray(json) ? { entries: json } : json;
  if (typeof document !== "object" || document === null || !Array.isArray((document as { entries?: unknown }).entries)) return json;
  const entries = (document as { entries: unknown[] }).entries;
  const remaining: unknown[] = [];
  entries.forEach((entry, index) => {
    const program = typeof entry === "object" && entry !== null ? (entry as { program?: unknown }).program : undefined;
    if (program === undefined) {
      remaining.push(entry);
      return;
    }
    const where = `${source}: map "${map.def.name}", entries[${index}]`;
    const id = typeof program === "string" ? programId(object, program) : undefined;
    if (id === undefined) throw new ObjectSetupError(`${where}: ${object.fileName} has no program named '${String(program)}'.`, { file: source });
    const slot = slotIndex((entry as { key?: unknown }).key);
    if (slot === undefined) throw new ObjectSetupError(`${where}: a prog_array key is 4 bytes of hex (the slot, little-endian).`, { file: source });
    const result = map.sysUpdate(u32(slot), u32(id), UpdateFlag.ANY, 0);
    if (result !== 0) throw new ObjectSetupError(`${where}: the slot update fails with ${errnoName(result)}, as it would in the kernel.`, { file: source });
    writes.push({ kind: "prog-slot", mapIndex, slot, program: program as string });
  });
  return { ...(document as object), entries: remaining };
}

function slotIndex(key: unknown): number | undefined {
  if (typeof key !== "string" || !/^[0-9a-fA-F]{8}$/.test(key)) return undefined;
  return new DataView(Uint8Array.from(key.match(/../g)!, (pair) => parseInt(pair, 16)).buffer).getUint32(0, true);
}

function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
}
