// The sample programs (programs/*.o) with their crafted-packet cases
// (programs/expectations.json), made runnable on the host: a fresh set of
// simulated maps per run holding the load-time contents (prog_array slots,
// global data) and the case's entries, the programs a tail call can reach,
// and, for cases that name a network environment, its route table. Used by
// the compiled tier's differential tests and by the benchmark.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Program } from "../src/ebpf/instruction.ts";
import { loadObject, type BpfObject } from "../src/elf/index.ts";
import type { RouteTable } from "../src/helpers/fib.ts";
import { createMap, loadMapJson, MapType, type SimMap } from "../src/maps/index.ts";
import { environmentRouteTable, parseEnvironment, type NetworkEnvironment } from "../src/oracle/index.ts";

export const programsDir = fileURLToPath(new URL("../programs/", import.meta.url));

interface EntryJson {
  readonly key: string;
  readonly value?: string;
  readonly valueMask?: string;
  readonly program?: string;
}
interface MapContentJson {
  readonly entries: readonly EntryJson[];
}
interface CaseJson {
  readonly name: string;
  readonly packet: string;
  readonly maps?: Readonly<Record<string, MapContentJson>>;
  readonly environment?: string;
  readonly ktimeNsAtLeast?: number | string;
  readonly expected: { readonly action: string; readonly retval: number; readonly packetOut: string; readonly maps?: Readonly<Record<string, MapContentJson>> };
}
interface ProgramJson {
  readonly object: string;
  readonly program: string;
  readonly loadTimeMaps?: Readonly<Record<string, MapContentJson>>;
  readonly cases: readonly CaseJson[];
}
interface ExpectationsJson {
  readonly environments: Readonly<Record<string, unknown>>;
  readonly programs: readonly ProgramJson[];
}

export interface CorpusCase {
  readonly name: string;
  readonly packet: Uint8Array;
  readonly retval: number;
  readonly packetOut: Uint8Array;
  // The case needs a host set-up (routes, neighbours) or a clock value to give its expected result.
  readonly environment?: string;
  readonly ktimeNsAtLeast?: bigint;
  readonly mapJson: Readonly<Record<string, MapContentJson>>;
}

export interface CorpusProgram {
  // "xdp_firewall", or "xdp_tailcall:xdp_dispatch" when an object holds several.
  readonly label: string;
  readonly objectFile: string;
  readonly object: BpfObject;
  readonly name: string;
  readonly insns: Program;
  readonly cases: readonly CorpusCase[];
  // Tail-call targets by the id a prog_array slot holds (the program's index in the object).
  readonly programs: ReadonlyMap<number, Program>;
  readonly loadTimeMaps: Readonly<Record<string, MapContentJson>>;
}

export const hexBytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
export const bytesHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

const expectations = (): ExpectationsJson => JSON.parse(readFileSync(`${programsDir}expectations.json`, "utf8")) as ExpectationsJson;

export function loadCorpus(): CorpusProgram[] {
  const all = expectations();
  const objects = new Map<string, BpfObject>();
  const objectOf = (file: string): BpfObject => {
    let object = objects.get(file);
    if (object === undefined) {
      object = loadObject(readFileSync(`${programsDir}../${file}`), file);
      objects.set(file, object);
    }
    return object;
  };
  const perObject = new Map<string, number>();
  for (const p of all.programs) perObject.set(p.object, (perObject.get(p.object) ?? 0) + 1);
  return all.programs.map((p): CorpusProgram => {
    const object = objectOf(p.object);
    const program = object.programs.find((q) => q.name === p.program);
    if (program === undefined) throw new Error(`${p.object} has no program ${p.program}`);
    const base = p.object.replace(/^programs\//, "").replace(/\.o$/, "");
    return {
      label: (perObject.get(p.object) ?? 0) > 1 ? `${base}:${p.program}` : p.program,
      objectFile: p.object,
      object,
      name: p.program,
      insns: program.insns,
      programs: new Map(object.programs.map((q, index) => [index, q.insns])),
      loadTimeMaps: p.loadTimeMaps ?? {},
      cases: p.cases.map((c) => ({
        name: c.name,
        packet: hexBytes(c.packet),
        retval: c.expected.retval,
        packetOut: hexBytes(c.expected.packetOut),
        ...(c.environment === undefined ? {} : { environment: c.environment }),
        ...(c.ktimeNsAtLeast === undefined ? {} : { ktimeNsAtLeast: BigInt(c.ktimeNsAtLeast) }),
        mapJson: c.maps ?? {},
      })),
    };
  });
}

// The object's maps as loading leaves them, plus `content` (a case's entries), all fresh.
export function corpusMaps(program: CorpusProgram, content: Readonly<Record<string, MapContentJson>> = {}): SimMap[] {
  const maps = program.object.maps.map((def) => createMap(def));
  const fill = (contents: Readonly<Record<string, MapContentJson>>): void => {
    for (const [name, json] of Object.entries(contents)) {
      const index = program.object.maps.findIndex((def) => def.name === name);
      if (index < 0) throw new Error(`${program.objectFile} has no map ${name}`);
      const map = maps[index];
      const entries = json.entries.map((entry) => {
        if (map.def.type !== MapType.PROG_ARRAY || entry.program === undefined) return { key: entry.key, value: entry.value };
        const id = program.object.programs.findIndex((q) => q.name === entry.program);
        return { key: entry.key, value: { u32: id } };
      });
      loadMapJson(map, { entries }, `${program.objectFile} ${name}`);
    }
  };
  // Global data already holds its initial bytes (createMap); of the load-time contents only prog_array slots remain to fill.
  const slots = Object.fromEntries(
    Object.entries(program.loadTimeMaps).map(([name, json]) => [name, { entries: json.entries.filter((entry) => entry.program !== undefined) }]),
  );
  fill(slots);
  fill(content);
  return maps;
}

// A named host set-up of expectations.json ("environments"), as the oracle reads it.
export function corpusEnvironment(name: string): NetworkEnvironment {
  const json = expectations().environments[name];
  if (json === undefined) throw new Error(`expectations.json has no environment ${name}`);
  return parseEnvironment(json, `expectations.json environment ${name}`);
}

// The route table bpf_fib_lookup reads in that set-up.
export const environmentRoutes = (name: string): RouteTable => environmentRouteTable(corpusEnvironment(name), `expectations.json environment ${name}`);
