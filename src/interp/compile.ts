// The compiled host tier: the same contract as the reference interpreter's
// run() (same environment, options and result), executed by JavaScript
// generated from the program (compile-emit.ts) instead of an instruction loop.
// Its results are the reference's: same r0, memory, map and packet effects,
// helper calls in the same order, and the same faults at the same pc with
// the same instruction count (see docs/performance.md for how the count is
// kept per block). A run that asks for a per-instruction trace (onStep) is
// handed to the reference interpreter, which is the only tier that has one.
import type { Program } from "../ebpf/instruction.ts";
import type { RunEvent } from "../helpers/runtime.ts";
import { IndexedAddressSpace, MemoryPort } from "./compile-memory.ts";
import { compiledProgram } from "./compile-program.ts";
import { RETURNED, RunState, type End } from "./compile-runtime.ts";
import { PAIR, bigToPair, pairToBig } from "./compile-u64.ts";
import { DEFAULT_MAX_STEPS, type RunEnv, type RunOptions, type RunResult } from "./env.ts";
import { createMachine, type Machine } from "./machine.ts";
import { run } from "./run.ts";

export type Tier = "reference" | "compiled";

// Instruction fields go into generated source, so they must be the integers the decoder makes.
const isIntegerSlot = (slot: { opcode: unknown; dst: unknown; src: unknown; off: unknown; imm: unknown }): boolean =>
  Number.isInteger(slot.opcode) && Number.isInteger(slot.dst) && Number.isInteger(slot.src) && Number.isInteger(slot.off) && Number.isInteger(slot.imm);

export function runCompiled(program: Program, env: RunEnv = {}, options: RunOptions = {}): RunResult {
  if (options.onStep !== undefined || !program.every(isIntegerSlot)) return run(program, env, options);
  const machine = createMachine(program, env, new IndexedAddressSpace());
  return runOnMachine(program, machine, options.maxSteps ?? DEFAULT_MAX_STEPS);
}

// Runs `program` from pc 0 in a machine made by createMachine with an IndexedAddressSpace,
// starting from the registers of its first frame.
export function runOnMachine(program: Program, machine: Machine, maxSteps: number): RunResult {
  if (program.length === 0) {
    return finish(machine, 0, { kind: "fault", fault: { kind: "pc-out-of-range", pc: 0, message: "pc 0: the program is empty" } });
  }
  const memory = machine.memory;
  if (!(memory instanceof IndexedAddressSpace)) throw new TypeError("runOnMachine needs a machine made with an IndexedAddressSpace");
  const state = new RunState(machine, new MemoryPort(memory), maxSteps, compiledProgram);
  const regs = machine.frames[0].regs;
  for (let r = 0; r < regs.length; r++) {
    bigToPair(regs[r]);
    state.R[2 * r] = PAIR[0];
    state.R[2 * r + 1] = PAIR[1];
  }
  const status = compiledProgram(program).enter(0, state, 0);
  const end: End = status === RETURNED ? { kind: "exit", r0: pairToBig(state.R[0], state.R[1]) } : state.end!;
  return finish(machine, state.steps, end);
}

// run.ts finish: the events in order (reserved but unsubmitted ring-buffer records dropped) and the redirect.
function finish(machine: Machine, steps: number, end: End): RunResult {
  machine.steps = steps;
  const events = machine.events.filter((event): event is RunEvent => event !== undefined);
  const common = { steps, events, ...(machine.xdp?.redirect ? { redirect: machine.xdp.redirect } : {}) };
  if (end.kind === "exit") return { kind: "exit", r0: end.r0, ...common };
  return { kind: "fault", pc: end.fault.pc, message: end.fault.message, fault: end.fault, ...common };
}

// Either tier by name, with run()'s signature.
export const runTier = (tier: Tier, program: Program, env: RunEnv = {}, options: RunOptions = {}): RunResult =>
  tier === "compiled" && !env.resume ? runCompiled(program, env, options) : run(program, env, options);
