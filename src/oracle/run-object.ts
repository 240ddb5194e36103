// One XDP program of an ELF object run on one packet in the interpreter, the
// way `offload-sim exec prog.o` shows it: the maps created and filled from
// --map files, the packet run, and afterwards the action, the output frame
// (hex and decoded layer by layer) and which map entries changed.
import { possibleCpuCount } from "../elf/possible-cpus.ts";
import type { BpfObject, BpfProgram } from "../elf/bpf-object.ts";
import { loadObject } from "../elf/load-object.ts";
import type { RouteTable } from "../helpers/fib.ts";
import type { TraceStep } from "../interp/env.ts";
import { cloneMaps, diffMaps, formatMapDiff, type MapDiff } from "../maps/index.ts";
import { describePacket } from "../traffic/index.ts";
import { runXdp, type XdpRunResult } from "../xdp/index.ts";
import { createObjectMaps, loadMapFileContent, selectXdpProgram, tailCallPrograms } from "./object-setup.ts";
import { readInputBytes } from "../input-file.ts";

export interface ObjectRunRequest {
  readonly object: BpfObject;
  readonly program?: string;
  readonly packet: Uint8Array;
  // (map name, JSON file) pairs, loaded in order.
  readonly mapFiles?: readonly { readonly map: string; readonly file: string }[];
  readonly routes?: RouteTable;
  readonly maxSteps?: number;
  readonly onStep?: (step: TraceStep) => void;
}

export interface ObjectRunReport {
  readonly program: BpfProgram;
  readonly input: Uint8Array;
  readonly result: XdpRunResult;
  // Only the maps whose contents the run changed.
  readonly changedMaps: readonly MapDiff[];
}

export function readObjectFile(path: string): BpfObject {
  return loadObject(readInputBytes(path), path);
}

export function runObject(request: ObjectRunRequest): ObjectRunReport {
  const { object } = request;
  const program = selectXdpProgram(object, request.program);
  // Per-CPU maps and cpumap entries as the machine's possible CPUs allow, as kernel-check and run make them.
  let setup = createObjectMaps(object, possibleCpuCount());
  for (const { map, file } of request.mapFiles ?? []) setup = loadMapFileContent(setup, map, file);
  const before = cloneMaps(setup.maps);
  const result = runXdp(program.insns, request.packet, setup.maps, {
    programs: tailCallPrograms(object),
    ...(request.routes === undefined ? {} : { routes: request.routes }),
    ...(request.maxSteps === undefined ? {} : { maxSteps: request.maxSteps }),
    ...(request.onStep === undefined ? {} : { onStep: request.onStep }),
  });
  const changedMaps = before.map((map, index) => diffMaps(map, setup.maps[index])).filter((diff) => !diff.identical);
  return { program, input: request.packet, result, changedMaps };
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

export function formatObjectRun(report: ObjectRunReport): string {
  const { result } = report;
  const lines = [`program ${report.program.name} (section ${report.program.section})`];
  for (const event of result.events) lines.push(event.kind === "trace-printk" ? `trace_printk: ${event.text}` : `${event.kind} on ${event.map}: ${hex(event.data)}`);
  if (result.fault !== undefined) lines.push(`fault: ${result.fault.message}`);
  else lines.push(`action: ${result.actionName} (${result.action})`);
  if (result.redirect !== undefined) lines.push(`redirect: ${describeRedirect(result)}`);
  const changed = hex(result.packetOut) === hex(report.input) ? " (unchanged)" : "";
  lines.push(`packet out: ${result.packetOut.length} bytes${changed}`, `  ${hex(result.packetOut)}`, `  ${describePacket(result.packetOut)}`);
  if (result.metadataOut.length > 0) lines.push(`metadata: ${hex(result.metadataOut)}`);
  if (report.changedMaps.length === 0) lines.push("maps: no entry changed");
  else lines.push("maps changed:", ...report.changedMaps.flatMap((diff) => formatMapDiff(diff).map((line) => `  ${line}`)));
  lines.push(`${result.steps} instructions executed`);
  return `${lines.join("\n")}\n`;
}

function describeRedirect(result: XdpRunResult): string {
  const redirect = result.redirect!;
  if (redirect.kind === "ifindex") return `ifindex ${redirect.ifindex}`;
  return `map '${redirect.map}' key ${redirect.key}${redirect.target === undefined ? " (empty)" : ` -> ${JSON.stringify(redirect.target)}`}`;
}

export function objectRunJson(report: ObjectRunReport): Record<string, unknown> {
  const { result } = report;
  return {
    program: report.program.name,
    action: result.action ?? null,
    actionName: result.actionName,
    ...(result.fault === undefined ? {} : { fault: { kind: result.fault.kind, pc: result.fault.pc, message: result.fault.message } }),
    packet: hex(result.packetOut),
    packetLength: result.packetOut.length,
    decoded: describePacket(result.packetOut),
    metadata: hex(result.metadataOut),
    ...(result.redirect === undefined ? {} : { redirect: result.redirect }),
    events: result.events.map((event) => (event.kind === "trace-printk" ? { kind: event.kind, pc: event.pc, text: event.text } : { kind: event.kind, pc: event.pc, map: event.map, data: hex(event.data) })),
    changedMaps: report.changedMaps,
    steps: result.steps,
  };
}
