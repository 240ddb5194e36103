// A program's compiled functions, made on first use and kept for the
// program's lifetime (a WeakMap keyed by the program array): one fast
// function per entry pc that is ever entered (pc 0, bpf-to-bpf call targets,
// callx targets) and, only when a run gets near its instruction budget, a
// stepwise one that stops at the exact instruction.
import type { Program } from "../ebpf/instruction.ts";
import type { VerifierResult } from "../verifier/index.ts";
import { emitFunction } from "./compile-emit.ts";
import { NO_PROOFS, accessProofs, type AccessProofs } from "./compile-facts.ts";
import type { CompiledCode, RunState } from "./compile-runtime.ts";
import * as pairs from "./compile-u64.ts";

export type CompiledFunction = (state: RunState, depth: number) => number;

const runtime = {
  PAIR: pairs.PAIR,
  mul64: pairs.mul64,
  shiftLeft64: pairs.shiftLeft64,
  shiftRight64: pairs.shiftRight64,
  shiftRightArith64: pairs.shiftRightArith64,
  byteSwap32: pairs.byteSwap32,
  byteSwap16: pairs.byteSwap16,
  aluWide: pairs.aluWide,
};

export class CompiledProgram implements CompiledCode {
  private readonly fast = new Map<number, CompiledFunction>();
  private readonly stepwiseAt = new Map<number, CompiledFunction>();

  constructor(
    readonly program: Program,
    private readonly proofs: AccessProofs = NO_PROOFS,
  ) {}

  enter(pc: number, state: RunState, depth: number): number {
    return this.entry(pc)(state, depth);
  }

  // The fast function entered at `pc`, compiled on first use.
  entry(pc: number): CompiledFunction {
    let fn = this.fast.get(pc);
    if (fn === undefined) {
      fn = this.build(pc, false);
      this.fast.set(pc, fn);
    }
    return fn;
  }

  // The rest of a frame from `pc` on, one instruction per block (registers in state.R).
  stepwise(pc: number, state: RunState, depth: number): number {
    let fn = this.stepwiseAt.get(pc);
    if (fn === undefined) {
      fn = this.build(pc, true);
      this.stepwiseAt.set(pc, fn);
    }
    return fn(state, depth);
  }

  // The generated source of one function (for inspection and tests).
  source(pc: number, stepwise = false): string {
    return emitFunction(this.program, pc, stepwise, this.proofs);
  }

  private build(pc: number, stepwise: boolean): CompiledFunction {
    // The generated code is made only from the program's instruction fields, all numbers.
    const factory = new Function("rt", "CP", emitFunction(this.program, pc, stepwise, this.proofs)) as (rt: typeof runtime, code: CompiledProgram) => CompiledFunction;
    return factory(runtime, this);
  }
}

const compiled = new WeakMap<Program, CompiledProgram>();
const compiledWithFacts = new WeakMap<VerifierResult, CompiledProgram>();

export function compiledProgram(program: Program): CompiledProgram {
  let entry = compiled.get(program);
  if (entry === undefined) {
    entry = new CompiledProgram(program);
    compiled.set(program, entry);
  }
  return entry;
}

// The program compiled with what the verifier proved about it (compile-facts.ts): only for a program
// `verdict` accepted, run on an XDP packet.
export function compiledProgramWithFacts(program: Program, verdict: VerifierResult): CompiledProgram {
  let entry = compiledWithFacts.get(verdict);
  if (entry === undefined || entry.program !== program) {
    entry = new CompiledProgram(program, accessProofs(program, verdict));
    compiledWithFacts.set(verdict, entry);
  }
  return entry;
}
