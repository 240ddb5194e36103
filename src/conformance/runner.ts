// Runs bpf_conformance vectors through the reference interpreter: the program
// (raw words if given, else the assembled asm) runs with the vector's memory
// as input (r1 = address, r2 = length) and the default helper table, and its
// r0 is compared with the expected result over all 64 bits. A vector that
// expects an error passes when the program fails to assemble or faults; our
// messages are not the plugin's, so their text is not compared.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { assemble } from "../ebpf/asm.ts";
import { readSlot, type Insn, type Program } from "../ebpf/instruction.ts";
import { OffloadSimError } from "../errors.ts";
import type { RunEnv, RunResult } from "../interp/env.ts";
import { run } from "../interp/run.ts";
import { hex64 } from "../interp/u64.ts";
import { parseConformance, type ConformanceCase } from "./parse.ts";
import { readInputText } from "../input-file.ts";

// How a vector's program is run: the reference interpreter by default, or another tier with its signature.
export type RunProgram = (program: Program, env: RunEnv) => RunResult;

export type CaseOutcome =
  | { readonly source: string; readonly passed: true }
  | { readonly source: string; readonly passed: false; readonly reason: string };

export interface ConformanceSummary {
  readonly outcomes: readonly CaseOutcome[];
  readonly passed: number;
  readonly failed: number;
}

export function slotsFromRaw(words: readonly bigint[]): Insn[] {
  const bytes = new Uint8Array(words.length * 8);
  const view = new DataView(bytes.buffer);
  words.forEach((word, i) => view.setBigUint64(i * 8, word, true));
  return words.map((_, i) => readSlot(bytes, i * 8));
}

const sameSlot = (a: Insn, b: Insn): boolean =>
  a.opcode === b.opcode && a.dst === b.dst && a.src === b.src && a.off === b.off && a.imm === b.imm;

// The program of a vector, or why it cannot be built (which an error-expecting vector wants).
function programOf(vector: ConformanceCase): Program | string {
  let assembled: Program | undefined;
  if (vector.asm !== undefined) {
    try {
      assembled = assemble(vector.asm, { sourceName: vector.source });
    } catch (err) {
      if (err instanceof OffloadSimError) return err.message;
      throw err;
    }
  }
  if (vector.raw === undefined) return assembled!;
  const raw = slotsFromRaw(vector.raw);
  if (assembled) {
    const differs = raw.findIndex((slot, pc) => !assembled![pc] || !sameSlot(slot, assembled![pc]));
    if (differs >= 0 || assembled.length !== raw.length) {
      return `the asm and raw sections disagree at slot ${differs >= 0 ? differs : Math.min(raw.length, assembled.length)}`;
    }
  }
  return raw;
}

export function runCase(vector: ConformanceCase, execute: RunProgram = run): CaseOutcome {
  const { source, expected } = vector;
  const program = programOf(vector);
  const wantsError = expected.kind !== "result";
  if (typeof program === "string") {
    return wantsError ? { source, passed: true } : { source, passed: false, reason: program };
  }
  const result = execute(program, { input: { kind: "memory", bytes: vector.memory.slice() } });
  if (result.kind === "fault") {
    return wantsError ? { source, passed: true } : { source, passed: false, reason: result.message };
  }
  if (expected.kind !== "result") {
    return { source, passed: false, reason: `expected an error, but the program returned ${hex64(result.r0)}` };
  }
  if (result.r0 !== expected.value) {
    return { source, passed: false, reason: `returned ${hex64(result.r0)}, expected ${hex64(expected.value)}` };
  }
  return { source, passed: true };
}

export function runConformanceFile(path: string, execute: RunProgram = run): CaseOutcome {
  try {
    return runCase(parseConformance(readInputText(path, "latin1"), path), execute);
  } catch (err) {
    if (err instanceof OffloadSimError) return { source: path, passed: false, reason: err.message };
    throw err;
  }
}

// Directories contribute their *.data files, in name order.
export function conformanceFiles(paths: readonly string[]): string[] {
  return paths.flatMap((path) =>
    statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((name) => name.endsWith(".data"))
          .sort()
          .map((name) => join(path, name))
      : [path],
  );
}

export function runConformance(paths: readonly string[], execute: RunProgram = run): ConformanceSummary {
  const outcomes = conformanceFiles(paths).map((path) => runConformanceFile(path, execute));
  const passed = outcomes.filter((o) => o.passed).length;
  return { outcomes, passed, failed: outcomes.length - passed };
}
