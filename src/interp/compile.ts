// The compiled host tier: the same contract as the reference interpreter's
// run() (same environment, options and result), executed by JavaScript
// generated from the program (compile-emit.ts) instead of an instruction loop.
// Its results are the reference's: same r0, memory, map and packet effects,
// helper calls in the same order, and the same faults at the same pc with
// the same instruction count (see docs/performance.md for how the count is
// kept per block). A run that asks for a per-instruction trace (onStep) is
// handed to the reference interpreter, which is the only tier that has one.
import type { Program } from "../ebpf/instruction.ts";
import { CompiledSession, type CompiledRunOptions } from "./compile-session.ts";
import type { RunEnv, RunOptions, RunResult } from "./env.ts";
import { run } from "./run.ts";

export type Tier = "reference" | "compiled";

// Instruction fields go into generated source, so they must be the integers the decoder makes.
const isIntegerSlot = (slot: { opcode: unknown; dst: unknown; src: unknown; off: unknown; imm: unknown }): boolean =>
  Number.isInteger(slot.opcode) && Number.isInteger(slot.dst) && Number.isInteger(slot.src) && Number.isInteger(slot.off) && Number.isInteger(slot.imm);

export function runCompiled(program: Program, env: RunEnv = {}, options: RunOptions & CompiledRunOptions = {}): RunResult {
  if (options.onStep !== undefined || !program.every(isIntegerSlot)) return run(program, env, options);
  return new CompiledSession(program, env, options).run();
}

// Either tier by name, with run()'s signature.
export const runTier = (tier: Tier, program: Program, env: RunEnv = {}, options: RunOptions = {}): RunResult =>
  tier === "compiled" ? runCompiled(program, env, options) : run(program, env, options);

export { CompiledSession, type CompiledRunOptions } from "./compile-session.ts";
