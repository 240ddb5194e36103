// What `offload-sim exec` does, loaded only when the command runs (see exec.ts for its options).
import { assemble, decodeProgram } from "../../ebpf/index.ts";
import type { Program } from "../../ebpf/instruction.ts";
import { OffloadSimError } from "../../errors.ts";
import type { RunEvent } from "../../helpers/runtime.ts";
import { formatTraceStep, run, type RunResult } from "../../interp/index.ts";
import { parseRouteTable } from "../../helpers/fib.ts";
import { parseMapAssignment } from "../../oracle/object-setup.ts";
import { formatObjectRun, objectRunJson, readObjectFile, runObject } from "../../oracle/run-object.ts";
import { openCaptureFile, xdpFrames } from "../../traffic/index.ts";
import type { ExecArgs } from "./exec.ts";
import { readInputBytes, readInputText } from "../../input-file.ts";

export class ExecInputError extends OffloadSimError {}

export function loadProgramFile(path: string): Program {
  if (/\.(s|S|asm)$/.test(path)) return assemble(readInputText(path), { sourceName: path });
  if (/\.bin$/.test(path)) return decodeProgram(readInputBytes(path), { sourceName: path });
  throw new ExecInputError(`${path}: expected an assembly file (.s, .asm) or raw instruction bytes (.bin).`, { file: path });
}

// "00 01 ff", "0001ff" or "0x00,0x01": two hex digits per byte.
export function parseHexBytes(text: string, option = "--mem"): Uint8Array {
  const digits = text.replace(/0x/gi, "").replace(/[\s,:]/g, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) {
    throw new ExecInputError(`${option} must be hex bytes (two digits each, optionally separated by spaces), got '${text}'.`);
  }
  return Uint8Array.from(digits.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

function eventJson(event: RunEvent): Record<string, unknown> {
  switch (event.kind) {
    case "trace-printk":
      return { kind: event.kind, pc: event.pc, text: event.text };
    case "perf-event":
      return { kind: event.kind, pc: event.pc, map: event.map, cpu: event.cpu, data: hex(event.data) };
    case "ringbuf":
      return { kind: event.kind, pc: event.pc, map: event.map, data: hex(event.data) };
  }
}

export function resultJson(result: RunResult): Record<string, unknown> {
  const common = { steps: result.steps, events: result.events.map(eventJson) };
  if (result.kind === "exit") return { result: "exit", r0: `0x${result.r0.toString(16)}`, ...common };
  const { fault } = result;
  const details = fault.kind === "memory" ? { address: `0x${fault.address.toString(16)}`, size: fault.size, access: fault.access, region: fault.region ?? null, reason: fault.reason } : {};
  return { result: "fault", fault: { kind: fault.kind, pc: fault.pc, message: fault.message, ...details }, ...common };
}

function resultText(result: RunResult): string {
  const lines = result.events.map((event) => (event.kind === "trace-printk" ? `trace_printk: ${event.text}` : `${event.kind} on ${event.map}: ${hex(event.data)}`));
  if (result.kind === "exit") lines.push(`r0 = 0x${result.r0.toString(16)} (${result.r0})`, `${result.steps} instructions executed`);
  else lines.push(`fault: ${result.message}`, `${result.steps} instructions executed`);
  return `${lines.join("\n")}\n`;
}

const isElf = (path: string): boolean => {
  const head = readInputBytes(path).subarray(0, 4);
  return head.length === 4 && head[0] === 0x7f && String.fromCharCode(head[1], head[2], head[3]) === "ELF";
};

// A pcap/pcapng file gives its first packet, as the Ethernet frame XDP sees (src/traffic/xdp-frames.ts); any other file is the frame's raw bytes.
function readPacketFile(path: string): Uint8Array {
  const bytes = readInputBytes(path);
  const magic = bytes.length >= 4 ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, false) : 0;
  const captureMagics = [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a];
  if (!captureMagics.includes(magic)) return bytes;
  const reader = openCaptureFile(path);
  const frames = xdpFrames(path);
  try {
    for (const packet of reader) {
      const frame = frames.frameOf(packet);
      if (frame !== undefined) return frame;
    }
  } finally {
    reader.close();
    for (const note of frames.notes()) process.stderr.write(`offload-sim: ${note}\n`);
  }
  throw new ExecInputError(`${path}: the capture holds no packet an XDP program can see.`, { file: path });
}

function execObject(args: ExecArgs, maxSteps: number | undefined): void {
  if ((args.packet === undefined) === (args.hex === undefined)) throw new ExecInputError("an ELF object runs on one packet: give --packet FILE or --hex HEX.");
  if (args.mem !== undefined) throw new ExecInputError("--mem is for raw programs; an XDP program of an object takes --packet or --hex.");
  const packet = args.hex !== undefined ? parseHexBytes(args.hex, "--hex") : readPacketFile(args.packet!);
  const routes = args.routes === undefined ? undefined : parseRouteTable(JSON.parse(readInputText(args.routes)), args.routes);
  const report = runObject({
    object: readObjectFile(args.program),
    program: args.prog,
    packet,
    mapFiles: (args.map ?? []).map(parseMapAssignment),
    ...(routes === undefined ? {} : { routes }),
    ...(maxSteps === undefined ? {} : { maxSteps }),
    ...(args.trace ? { onStep: (step) => process.stderr.write(`${formatTraceStep(step)}\n`) } : {}),
  });
  process.stdout.write(args.json ? `${JSON.stringify(objectRunJson(report))}\n` : formatObjectRun(report));
  if (report.result.fault !== undefined) process.exitCode = 1;
}

// The exec command once its arguments are parsed.
export function execHandler(args: ExecArgs): void {
  const maxSteps = args["max-steps"];
  if (maxSteps !== undefined && !(Number.isInteger(maxSteps) && maxSteps > 0)) {
    throw new ExecInputError(`--max-steps must be a positive integer, got ${maxSteps}.`);
  }
  if (isElf(args.program)) return execObject(args, maxSteps);
  const program = loadProgramFile(args.program);
  const bytes = args.mem === undefined ? undefined : parseHexBytes(args.mem);
  const result = run(program, bytes ? { input: { kind: "memory", bytes } } : {}, {
    ...(maxSteps === undefined ? {} : { maxSteps }),
    ...(args.trace ? { onStep: (step) => process.stderr.write(`${formatTraceStep(step)}\n`) } : {}),
  });
  process.stdout.write(args.json ? `${JSON.stringify(resultJson(result))}\n` : resultText(result));
  if (result.kind === "fault") process.exitCode = 1;
}
