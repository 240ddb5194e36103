// Shared set-up of the offload tests: the sample programs with their crafted
// cases (programs/expectations.json), maps built the way the interpreter's
// tests build them, and a comparison of one packet on the host interpreter and
// on the NIC image (action, output packet, perf events, every map entry), with
// a readable counterexample: the packet in hex, the eBPF around the host exit
// or fault, and the stage microcode.
import { readFileSync } from "node:fs";
import { disassemble as disassembleMicro } from "../../hw-model/isa/disasm.ts";
import { loadPreset } from "../../hw-model/presets/load.ts";
import type { Preset } from "../../hw-model/presets/types.ts";
import type { Program } from "../../src/ebpf/instruction.ts";
import { listing } from "../../src/ebpf/index.ts";
import { loadObject, type BpfObject, type BpfProgram } from "../../src/elf/index.ts";
import type { RouteTable } from "../../src/helpers/fib.ts";
import type { SimClock } from "../../src/helpers/runtime.ts";
import { cloneMaps, createMap, MapType, type SimMap } from "../../src/maps/index.ts";
import { environmentRouteTable, parseEnvironment } from "../../src/oracle/environment.ts";
import { runXdp, type XdpRunResult } from "../../src/xdp/index.ts";
import type { NicImage } from "../../src/offload/nic-image.ts";
import { NicRunner, type NicRunResult } from "../../src/offload/runner.ts";

export const EXPECTATIONS = "programs/expectations.json";

interface Entry {
  readonly key: string;
  readonly value?: string;
  readonly program?: string;
}
export interface Case {
  readonly name: string;
  readonly packet: string;
  readonly maps?: Record<string, { entries: Entry[] }>;
  readonly environment?: string;
}
export interface ProgramCases {
  readonly object: string;
  readonly program: string;
  readonly loadTimeMaps?: Record<string, { entries: Entry[] }>;
  readonly cases: Case[];
}

export const suite: { environments: Record<string, unknown>; programs: ProgramCases[] } = JSON.parse(readFileSync(EXPECTATIONS, "utf8"));

export const hex = (text: string): Uint8Array => Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));
export const toHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

// A clock that does not move: both sides read the same time (they execute different instruction counts).
export const FROZEN_CLOCK: SimClock = { startNs: 1_000_000_000_000n, nsPerInstruction: 0n, bootOffsetNs: 0n };

export const preset = (name = "nfp-4000"): Preset => loadPreset(name);

const objects = new Map<string, BpfObject>();
export function objectOf(file: string): BpfObject {
  let o = objects.get(file);
  if (!o) {
    o = loadObject(new Uint8Array(readFileSync(file)), file);
    objects.set(file, o);
  }
  return o;
}

export interface Subject {
  readonly cases: ProgramCases;
  readonly object: BpfObject;
  readonly program: BpfProgram;
  readonly programs: ReadonlyMap<number, Program>;
}

export const subjects: Subject[] = suite.programs.map((cases) => {
  const object = objectOf(cases.object);
  return { cases, object, program: object.programs.find((p) => p.name === cases.program)!, programs: new Map(object.programs.map((p, i) => [i, p.insns])) };
});

export function routesFor(c: Case): RouteTable | undefined {
  if (!c.environment) return undefined;
  return environmentRouteTable(parseEnvironment(suite.environments[c.environment], EXPECTATIONS));
}

// The maps of a case: load-time contents (prog_array slots) and the case's entries.
export function caseMaps(s: Subject, c: Case | undefined): SimMap[] {
  const maps = s.object.maps.map((def) => createMap(def));
  const byName = (name: string): SimMap => maps[s.object.maps.findIndex((d) => d.name === name)];
  for (const [name, { entries }] of Object.entries(s.cases.loadTimeMaps ?? {})) {
    for (const e of entries) {
      if (e.program === undefined) continue;
      const index = s.object.programs.findIndex((p) => p.name === e.program);
      byName(name).sysUpdate(hex(e.key), Uint8Array.of(index, 0, 0, 0), 0);
    }
  }
  for (const [name, { entries }] of Object.entries(c?.maps ?? {})) for (const e of entries) byName(name).sysUpdate(hex(e.key), hex(e.value!), 0);
  return maps;
}

function contents(map: SimMap): string[] {
  const out: string[] = [];
  for (const e of map.entries()) {
    const value = e.value ?? (e.perCpu ?? []).map(toHex).join("|");
    if (map.def.type === MapType.PROG_ARRAY) continue;
    out.push(`${toHex(e.key)}=${typeof value === "string" ? value : toHex(value)}`);
  }
  return out;
}

export interface Outcome {
  readonly action: number | undefined;
  readonly packet: string;
  readonly events: string[];
  readonly maps: string[][];
}

// A run stopped by an instruction budget (a loop that does not end) is compared as that alone:
// where each side stops depends on how it counts instructions.
const BUDGET: Outcome = { action: undefined, packet: "(budget exceeded)", events: [], maps: [] };

export function hostOutcome(r: XdpRunResult, maps: readonly SimMap[]): Outcome {
  if (r.fault?.kind === "budget") return BUDGET;
  return { action: r.action, packet: toHex(r.packetOut), events: r.events.map((e) => (e.kind === "perf-event" ? `perf ${e.map} ${toHex(e.data)}` : e.kind)), maps: maps.map(contents) };
}

export function nicOutcome(r: NicRunResult, maps: readonly SimMap[]): Outcome {
  const budget = r.host?.kind === "fault" ? r.host.fault.kind === "budget" : r.fault?.where === "nic" && /ran more than \d+ instructions/.test(r.fault.message);
  if (budget) return BUDGET;
  return { action: r.action, packet: toHex(r.packetOut), events: r.events.map((e) => (e.kind === "perf-event" ? `perf ${e.map} ${toHex(e.data)}` : e.kind)), maps: maps.map(contents) };
}

export interface Comparison {
  readonly host: Outcome;
  readonly nic: Outcome;
  readonly nicRun: NicRunResult;
  readonly hostRun: XdpRunResult;
}

// One packet on both sides, each on its own copy of `maps`.
export function compareOne(program: Program, image: NicImage, maps: readonly SimMap[], packet: Uint8Array, env: { programs?: ReadonlyMap<number, Program>; routes?: RouteTable | undefined } = {}): Comparison {
  const hostMaps = cloneMaps(maps);
  const nicMaps = cloneMaps(maps);
  const hostRun = runXdp(program, packet, hostMaps, { clock: FROZEN_CLOCK, ...(env.programs ? { programs: env.programs } : {}), ...(env.routes ? { routes: env.routes } : {}) });
  const nicRun = new NicRunner(image, nicMaps, { clock: FROZEN_CLOCK, ...(env.programs ? { programs: env.programs } : {}), ...(env.routes ? { routes: env.routes } : {}) }).run(packet);
  return { host: hostOutcome(hostRun, hostMaps), nic: nicOutcome(nicRun, nicMaps), nicRun, hostRun };
}

// What a failing comparison prints: the packet, both outcomes, the eBPF and the microcode involved.
export function explainMismatch(program: Program, image: NicImage, packet: Uint8Array, cmp: Comparison): string {
  const lines = [`packet: ${toHex(packet)}`, `host: ${JSON.stringify(cmp.host)}`, `nic:  ${JSON.stringify(cmp.nic)}`];
  lines.push(`nic path: stages ${cmp.nicRun.stagePath.join(",")}${cmp.nicRun.hostExit !== undefined ? `, host exit ${cmp.nicRun.hostExit} at pc ${image.hostExits[cmp.nicRun.hostExit].resumePc}` : ""}`);
  if (cmp.nicRun.fault) lines.push(`nic fault: ${cmp.nicRun.fault.message}`);
  if (cmp.hostRun.fault) lines.push(`host fault: ${cmp.hostRun.fault.message}`);
  lines.push("eBPF:", listing(program));
  image.stages.forEach((s) => lines.push(`stage ${s.index} microcode:`, disassembleMicro(s.program)));
  return lines.join("\n");
}
