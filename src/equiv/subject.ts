// What the equivalence suite runs: one XDP program with its maps' definitions,
// the initial state every case starts from (before the case's own edits, with
// a reader on each perf event array: perf-readers.ts) and
// the programs a tail call can reach. It comes from an ELF object, with the
// --map files given or, for a sample program, the contents beside it in
// programs/maps/<object>.<map>.json; or from the generated-program arbitrary.
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Program } from "../ebpf/instruction.ts";
import type { BpfObject, FunctionSpan, LineInfo } from "../elf/index.ts";
import type { MapDef, SimMap } from "../maps/index.ts";
import { createObjectMaps, loadMapFileContent, selectProgram, tailCallPrograms } from "../oracle/object-setup.ts";
import { readObjectFile } from "../oracle/run-object.ts";
import { possibleCpuCount } from "../elf/possible-cpus.ts";
import type { RouteTable } from "../helpers/fib.ts";
import { EMPTY_ENVIRONMENT, environmentRouteTable, type NetworkEnvironment } from "./environment.ts";
import { EquivInputError } from "./errors.ts";
import { attachPerfReaders } from "./perf-readers.ts";
import type { StateWrite } from "./map-state-arbitrary.ts";

export interface EquivSubject {
  // "xdp_firewall.o: xdp_firewall", "generated program".
  readonly label: string;
  readonly insns: Program;
  readonly functions?: readonly FunctionSpan[];
  readonly lineInfo?: readonly LineInfo[];
  readonly mapDefs: readonly MapDef[];
  readonly baseMaps: readonly SimMap[];
  readonly baseWrites: readonly StateWrite[];
  readonly tailCalls: ReadonlyMap<number, Program>;
  readonly license: string;
  // The network bpf_fib_lookup sees (host interpreter and the NIC's host part) and the kernel side builds
  // (an object's subject always has one: the empty network without --env).
  readonly environment?: NetworkEnvironment;
  readonly routes?: RouteTable;
  // The frames of a capture (equiv --pcap, as src/traffic/xdp-frames.ts makes them), which cases' packets come from.
  readonly capturedFrames?: readonly Uint8Array[];
  // What bpf_get_current_pid_tgid answers on the host and the NIC's host part: with --kernel, the task the kernel's
  // test run runs in (oracle/host-control.ts currentPidTgid); otherwise undefined (0, no task).
  readonly currentPidTgid?: bigint;
  // The object, when the subject came from one (the kernel side loads it).
  readonly object?: BpfObject;
  readonly programName?: string;
}

export interface ObjectSubjectRequest {
  readonly objectFile: string;
  readonly program?: string;
  // --map name=file.json, loaded in order; when none is given, programs/maps/<object>.<map>.json beside the object.
  readonly mapFiles?: readonly { readonly map: string; readonly file: string }[];
  readonly environment?: NetworkEnvironment;
}

// The --map files of a sample program: <dir>/maps/<object base>.<map>.json for each map that has one.
export function defaultMapFiles(objectFile: string, object: BpfObject): { readonly map: string; readonly file: string }[] {
  const stem = basename(objectFile).replace(/\.o$/, "");
  return object.maps
    .map((def) => ({ map: def.name, file: join(dirname(objectFile), "maps", `${stem}.${def.name}.json`) }))
    .filter((m) => existsSync(m.file));
}

export function subjectFromObject(request: ObjectSubjectRequest): EquivSubject {
  const object = readObjectFile(request.objectFile);
  const program = selectProgram(object, request.program);
  if (program.type !== "xdp") {
    throw new EquivInputError(`${object.fileName}: program ${program.name} is a ${program.type} program (section ${program.section}); the equivalence suite runs XDP programs.`, { file: object.fileName });
  }
  // Without --env, the empty network: the kernel side's fresh namespace holds the same (oracle/environment.ts).
  const environment = request.environment ?? EMPTY_ENVIRONMENT;
  // Per-CPU maps and LRU lists for the machine's possible CPUs, as the kernel side and kernel-check make them.
  let setup = createObjectMaps(object, possibleCpuCount());
  for (const { map, file } of request.mapFiles ?? defaultMapFiles(request.objectFile, object)) setup = loadMapFileContent(setup, map, file);
  return {
    label: `${basename(request.objectFile)}: ${program.name}`,
    insns: program.insns,
    functions: program.functions,
    ...(program.lineInfo ? { lineInfo: program.lineInfo } : {}),
    mapDefs: object.maps,
    baseMaps: attachPerfReaders(setup.maps),
    baseWrites: setup.writes,
    tailCalls: tailCallPrograms(object),
    license: object.license,
    environment,
    routes: environmentRouteTable(environment, request.environment ? "--env" : "the empty network"),
    // The object as loaded: a --map file for a frozen map (.rodata) patches its initial value.
    object: setup.object,
    programName: program.name,
  };
}
