// Running a program through both host tiers and saying, readably, how they
// differ: the program as a listing (pc, raw slot bytes, disassembly, or why a
// slot is invalid), the input bytes in hex, and both outcomes.
import { classify } from "../../src/ebpf/describe.ts";
import { formatInstruction } from "../../src/ebpf/disasm.ts";
import type { Program } from "../../src/ebpf/instruction.ts";
import { runTier, type Tier } from "../../src/interp/compile.ts";
import type { RunEnv, RunOptions, RunResult } from "../../src/interp/env.ts";
import { hexSlot } from "../ebpf/arbitrary.ts";

export const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

// One line per slot: invalid slots are listed too (llvm-objdump-style disassembly cannot print them).
export function listing(program: Program): string {
  const lines: string[] = [];
  for (let pc = 0; pc < program.length; pc++) {
    const form = classify(program[pc], program[pc + 1]);
    lines.push(`${String(pc).padStart(4)}: ${hexSlot(program[pc])}  ${typeof form === "string" ? `(invalid: ${form})` : formatInstruction(form)}`);
    // The second slot of an lddw carries the upper half of its constant.
    if (typeof form !== "string" && form.kind === "lddw") lines.push(`${String(++pc).padStart(4)}: ${hexSlot(program[pc])}`);
  }
  return lines.join("\n");
}

// A stable text form of results, maps and byte arrays (bigints and bytes as hex).
export const canonical = (value: unknown): string =>
  JSON.stringify(
    value,
    (_key, v: unknown) => (typeof v === "bigint" ? `0x${v.toString(16)}` : v instanceof Uint8Array ? hex(v) : v),
    1,
  );

export interface TierSetup {
  readonly env: RunEnv;
  // What the run may have changed besides its result (memory, maps, the packet), read after the run.
  readonly effects: () => unknown;
  // The input as the counterexample shows it (hex).
  readonly inputHex: string;
}

export interface TierOutcome {
  readonly result: RunResult;
  readonly effects: unknown;
}

export function runBoth(program: Program, setup: () => TierSetup, options: RunOptions = {}): { reference: TierOutcome; compiled: TierOutcome; inputHex: string } {
  const once = (tier: Tier): TierOutcome & { inputHex: string } => {
    const { env, effects, inputHex } = setup();
    const result = runTier(tier, program, env, options);
    return { result, effects: effects(), inputHex };
  };
  const reference = once("reference");
  const compiled = once("compiled");
  return { reference, compiled, inputHex: reference.inputHex };
}

// Undefined when both tiers agree on everything; otherwise the counterexample as text.
export function tierDifference(program: Program, setup: () => TierSetup, options: RunOptions = {}): string | undefined {
  const { reference, compiled, inputHex } = runBoth(program, setup, options);
  const left = canonical(reference);
  const right = canonical(compiled);
  if (left === right) return undefined;
  return [
    "the compiled tier differs from the reference interpreter",
    `program (${program.length} slots):`,
    listing(program),
    `input: ${inputHex || "(none)"}`,
    `max steps: ${options.maxSteps ?? "default"}`,
    `reference: ${left}`,
    `compiled:  ${right}`,
  ].join("\n");
}
