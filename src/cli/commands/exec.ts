// `offload-sim exec prog.s|prog.bin [--mem HEX] [--json]`: run a program in the
// reference interpreter with optional input memory (r1 = its address, r2 = its
// length) and print r0, or the fault that ended the run. Exit 0 when the
// program exits, 1 when it faults, 2 for bad input.
import { readFileSync } from "node:fs";
import type { CommandModule } from "yargs";
import { assemble, decodeProgram } from "../../ebpf/index.ts";
import type { Program } from "../../ebpf/instruction.ts";
import { OffloadSimError } from "../../errors.ts";
import type { RunEvent } from "../../helpers/runtime.ts";
import { formatTraceStep, run, type RunResult } from "../../interp/index.ts";

interface ExecArgs {
  program: string;
  mem?: string;
  json: boolean;
  trace: boolean;
  "max-steps"?: number;
}

export class ExecInputError extends OffloadSimError {}

export function loadProgramFile(path: string): Program {
  if (/\.(s|S|asm)$/.test(path)) return assemble(readFileSync(path, "utf8"), { sourceName: path });
  if (/\.bin$/.test(path)) return decodeProgram(new Uint8Array(readFileSync(path)), { sourceName: path });
  throw new ExecInputError(`${path}: expected an assembly file (.s, .asm) or raw instruction bytes (.bin).`, { file: path });
}

// "00 01 ff", "0001ff" or "0x00,0x01": two hex digits per byte.
export function parseHexBytes(text: string): Uint8Array {
  const digits = text.replace(/0x/gi, "").replace(/[\s,:]/g, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) {
    throw new ExecInputError(`--mem must be hex bytes (two digits each, optionally separated by spaces), got '${text}'.`);
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

export const execCommand: CommandModule<object, ExecArgs> = {
  command: "exec <program>",
  describe: "Run an eBPF program in the reference interpreter and print r0",
  builder: (yargs) =>
    yargs
      .positional("program", { type: "string", demandOption: true, describe: "assembly (.s) or raw instruction bytes (.bin)" })
      .option("mem", { type: "string", describe: "input memory as hex bytes; r1 points at it, r2 holds its length" })
      .option("json", { type: "boolean", default: false, describe: "print the result as JSON" })
      .option("trace", { type: "boolean", default: false, describe: "print every executed instruction and the registers to stderr" })
      .option("max-steps", { type: "number", describe: "instruction budget (default 1000000)" }),
  handler: (args) => {
    const program = loadProgramFile(args.program);
    const bytes = args.mem === undefined ? undefined : parseHexBytes(args.mem);
    const maxSteps = args["max-steps"];
    if (maxSteps !== undefined && !(Number.isInteger(maxSteps) && maxSteps > 0)) {
      throw new ExecInputError(`--max-steps must be a positive integer, got ${maxSteps}.`);
    }
    const result = run(program, bytes ? { input: { kind: "memory", bytes } } : {}, {
      ...(maxSteps === undefined ? {} : { maxSteps }),
      ...(args.trace ? { onStep: (step) => process.stderr.write(`${formatTraceStep(step)}\n`) } : {}),
    });
    process.stdout.write(args.json ? `${JSON.stringify(resultJson(result))}\n` : resultText(result));
    if (result.kind === "fault") process.exitCode = 1;
  },
};
