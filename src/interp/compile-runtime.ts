// The state of one compiled run and the out-of-line work the generated code
// calls: faults, helper calls, bpf-to-bpf calls, tail calls, map references
// and the legacy packet loads. Each piece follows the reference interpreter
// (run.ts) step by step, with the same helper table, address space and fault
// shapes, so that both tiers end a run the same way.
import type { Program } from "../ebpf/instruction.ts";
import type { CallbackLoop, HelperOutcome } from "../helpers/runtime.ts";
import { MapType, type BpfMap } from "../maps/types.ts";
import type { IndexedAddressSpace, MemoryPort, SegmentEntry } from "./compile-memory.ts";
import { FastCall, FastHelpers } from "./compile-helpers.ts";
import { PAIR, bigToPair, pairToBig } from "./compile-u64.ts";
import { memoryFault, type Fault } from "./fault.ts";
import { MAX_CALL_FRAMES, STACK_BYTES, newStack, type Frame, type Machine } from "./machine.ts";
import { Segment, segmentBase } from "./memory.ts";
import { execute } from "./run.ts";

export type End = { readonly kind: "exit"; readonly r0: bigint } | { readonly kind: "fault"; readonly fault: Fault };

// What a compiled function returns: its frame exited (r0 in R[0..1], the exit's pc in exitPc), or the run is over (see `end`).
export const RETURNED = 0;
export const ENDED = 1;
// The instruction handed to the reference finished and execution goes on.
export const CONTINUED = 0;
// What a call site learns from the runtime, besides ENDED.
export const CALL_SET_R0 = 0;
export const CALL_KEPT_R0 = 2;
// A tail call ran the rest of this frame; the function returns tailStatus.
export const CALL_TAIL = 3;
// What mapValue found: no value (the reference says why), an address, or one that stays while the address space allocates nothing.
export const VALUE_NONE = 0;
export const VALUE_MOVES = 1;
export const VALUE_STABLE = 2;

// Registers travel between functions as int32 halves: R[2r] = high, R[2r+1] = low.
export const REGISTER_HALVES = 22;
const R6_HI = 12;
const R10_HI = 20;

export interface CompiledCode {
  readonly program: Program;
  enter(pc: number, state: RunState, depth: number): number;
}

export function pcOutOfRangeFault(pc: number, target: number, slots: number): Fault {
  const message =
    target === pc + 1 || target === pc + 2
      ? `pc ${pc}: execution runs past the last instruction (${slots} slots) without an exit`
      : `pc ${pc}: control goes to ${target}, outside the program (${slots} slots)`;
  return { kind: "pc-out-of-range", pc, message };
}

const unreachable = (value: never): never => {
  throw new Error(`compiled eBPF: unexpected helper outcome ${JSON.stringify(value)}`);
};

export class RunState {
  // A plain array of small integers: cheaper to make than a typed array of this size.
  readonly R: number[] = new Array<number>(REGISTER_HALVES).fill(0);
  // Registers the next function entered starts from instead of R (then cleared): saves a session copying them into R per run.
  start: readonly number[] | undefined;
  readonly maps: readonly BpfMap[];
  steps = 0;
  end: End | undefined;
  exitPc = -1;
  tailStatus = RETURNED;
  // The last helper arguments as halves and as BigInt (see argument()).
  private readonly argHi: number[] = [0, 0, 0, 0, 0];
  private readonly argLo: number[] = [0, 0, 0, 0, 0];
  private readonly argBig: bigint[] = [0n, 0n, 0n, 0n, 0n];
  private readonly fastHelpers: FastHelpers;
  // The segment of the XDP packet frame (its region is mapped once per machine), -1 until asked.
  private packetSegment = -1;

  constructor(
    readonly machine: Machine,
    readonly mem: MemoryPort,
    readonly maxSteps: number,
    private readonly compiledOf: (program: Program) => CompiledCode,
  ) {
    this.maps = machine.maps;
    this.fastHelpers = new FastHelpers(machine, mem, this.R);
  }

  // The cache entry of the XDP packet frame (code compiled with verifier facts reaches it directly).
  packetEntry(): SegmentEntry {
    if (this.packetSegment < 0) {
      const xdp = this.machine.xdp;
      if (xdp === undefined) throw new Error("compiled eBPF: code compiled with packet proofs ran without a packet");
      this.packetSegment = Number(xdp.packetRegion.base >> 32n);
    }
    return this.mem.entryAt(this.packetSegment);
  }

  // The cache entry of the stack of the frame at `depth` (the generated code reaches it directly).
  stackEntry(depth: number): SegmentEntry {
    return this.mem.entryAt(Segment.STACK + depth);
  }

  fail(fault: Fault, steps: number): number {
    this.steps = steps;
    this.end = { kind: "fault", fault };
    return ENDED;
  }

  budget(pc: number, steps: number): number {
    const message = `pc ${pc}: the run exceeded its budget of ${this.maxSteps} instructions (a runaway loop?)`;
    return this.fail({ kind: "budget", pc, message, maxSteps: this.maxSteps }, steps);
  }

  memoryFault(pc: number, steps: number): number {
    return this.fail(memoryFault(pc, this.mem.error!), steps);
  }

  // run.ts callHelper. Every register is in R (the helper may turn into a tail call that keeps them all).
  helper(code: CompiledCode, id: number, pc: number, depth: number): number {
    const machine = this.machine;
    // The common calls, answered without BigInt; they map no memory (the adjust helpers re-read the windows themselves).
    if (this.fastHelpers.answers(id)) {
      machine.steps = this.steps;
      switch (this.fastHelpers.call(id)) {
        case FastCall.RETURNED:
          return this.resume(code, pc, pc, CALL_SET_R0);
        case FastCall.FELL_THROUGH:
          return this.resume(code, pc, pc, CALL_KEPT_R0);
        case FastCall.TAIL_CALL:
          return this.tailCall(this.fastHelpers.tailProgram!, pc, depth);
      }
    }
    const implementation = machine.helpers.get(id);
    // The reference says why a helper cannot be called.
    if (implementation === undefined) return this.reference(code, pc, depth);
    machine.steps = this.steps;
    const R = this.R;
    const args = [this.argument(0), this.argument(1), this.argument(2), this.argument(3), this.argument(4)] as const;
    const outcome: HelperOutcome = implementation({ pc, id, args, machine });
    this.mem.sync();
    switch (outcome.kind) {
      case "return":
        bigToPair(outcome.value);
        R[0] = PAIR[0];
        R[1] = PAIR[1];
        return this.resume(code, pc, pc, CALL_SET_R0);
      case "fall-through":
        return this.resume(code, pc, pc, CALL_KEPT_R0);
      case "callbacks":
        return this.callbacks(code, outcome.loop, pc, depth);
      case "tail-call":
        return this.tailCall(outcome.program, pc, depth);
      case "misuse":
        return this.fail({ kind: "helper", pc, helperId: id, message: `pc ${pc}: ${outcome.message}` }, this.steps);
      case "memory":
        return this.fail(memoryFault(pc, outcome.error), this.steps);
      default:
        return unreachable(outcome);
    }
  }

  // r(1 + index) as a BigInt; the last conversion per argument is kept, since a program calls its
  // helpers with the same map handles and stack pointers again and again.
  private argument(index: number): bigint {
    const hi = this.R[2 + 2 * index];
    const lo = this.R[3 + 2 * index];
    if (this.argHi[index] !== hi || this.argLo[index] !== lo) {
      this.argHi[index] = hi;
      this.argLo[index] = lo;
      this.argBig[index] = pairToBig(hi, lo);
    }
    return this.argBig[index];
  }

  // run.ts callLocal: r1-r5 are in R; the callee gets a fresh stack and zeroed r0, r6-r9.
  callLocal(code: CompiledCode, target: number, pc: number, depth: number): number {
    if (depth + 1 >= MAX_CALL_FRAMES) {
      return this.fail({ kind: "call-depth", pc, maxFrames: MAX_CALL_FRAMES, message: `pc ${pc}: call nesting deeper than ${MAX_CALL_FRAMES} frames` }, this.steps);
    }
    if (!(target >= 0 && target < code.program.length)) {
      return this.fail({ kind: "pc-out-of-range", pc, message: `pc ${pc}: call target ${target} is outside the program` }, this.steps);
    }
    const stack = this.freshStack(depth + 1);
    const R = this.R;
    R[0] = 0;
    R[1] = 0;
    R.fill(0, R6_HI, R10_HI);
    R[R10_HI] = stack.topHi;
    R[R10_HI + 1] = stack.topLo;
    if (code.enter(target, this, depth + 1) !== RETURNED) return ENDED;
    return this.resume(code, this.exitPc, pc, CALL_SET_R0);
  }

  // run.ts callBack: each call of a helper's callback enters it at depth + 1 with a fresh stack,
  // r1..r5 from the helper and r0, r6..r9 zero; the helper's result lands in r0. The caller's own
  // registers stay in its generated function's locals (it reads only r0 back).
  private callbacks(code: CompiledCode, loop: CallbackLoop, pc: number, depth: number): number {
    const R = this.R;
    let step = loop.first();
    this.mem.sync();
    while (step.kind === "call") {
      if (depth + 1 >= MAX_CALL_FRAMES) {
        return this.fail({ kind: "call-depth", pc, maxFrames: MAX_CALL_FRAMES, message: `pc ${pc}: call nesting deeper than ${MAX_CALL_FRAMES} frames` }, this.steps);
      }
      if (!(loop.target >= 0 && loop.target < code.program.length)) {
        return this.fail({ kind: "pc-out-of-range", pc, message: `pc ${pc}: callback target ${loop.target} is outside the program` }, this.steps);
      }
      const stack = this.freshStack(depth + 1);
      R.fill(0, 0, R10_HI);
      step.args.forEach((value, i) => {
        bigToPair(value);
        R[2 + 2 * i] = PAIR[0];
        R[3 + 2 * i] = PAIR[1];
      });
      R[R10_HI] = stack.topHi;
      R[R10_HI + 1] = stack.topLo;
      if (code.enter(loop.target, this, depth + 1) !== RETURNED) return ENDED;
      this.machine.steps = this.steps;
      step = loop.returned(pairToBig(R[0], R[1]));
      this.mem.sync();
    }
    bigToPair(step.value);
    R[0] = PAIR[0];
    R[1] = PAIR[1];
    return this.resume(code, pc, pc, CALL_SET_R0);
  }

  // A zeroed stack for a new frame at `depth`, as newStack makes one. The region an earlier frame at
  // that depth left behind is zeroed and used again instead: the segment, its bytes (all zero) and
  // what every pointer into it reaches are the same as with a new region, and nothing is allocated.
  private freshStack(depth: number): { readonly topHi: number; readonly topLo: number } {
    const memory = this.machine.memory as IndexedAddressSpace;
    const segment = Segment.STACK + depth;
    const earlier = memory.bySegment.get(segment);
    if (earlier !== undefined && earlier.kind === "stack" && earlier.bytes.length === STACK_BYTES) {
      earlier.bytes.fill(0);
    } else {
      newStack(memory, depth);
      this.mem.sync();
    }
    const entry = this.mem.entryAt(segment);
    entry.low = STACK_BYTES;
    return { topHi: entry.segment, topLo: (entry.baseLo + STACK_BYTES) | 0 };
  }

  // run.ts callx: a function address (ld_imm64 pseudo-func) or a helper id.
  callx(code: CompiledCode, pc: number, depth: number, hi: number, lo: number): number {
    const target = pairToBig(hi, lo);
    const functions = segmentBase(Segment.FUNCTIONS);
    if (target >> 32n === functions >> 32n) return this.callLocal(code, Number(target - functions), pc, depth);
    if (target <= 0xffff_ffffn) return this.helper(code, Number(target), pc, depth);
    return this.reference(code, pc, depth);
  }

  // ld_imm64 of a map value (BPF_PSEUDO_MAP_VALUE / MAP_IDX_VALUE): the address in PAIR (run.ts
  // pseudoValue), or VALUE_NONE when the reference has to say why there is none. An array's lookup has
  // no side effects and its value never moves (src/maps/array.ts), and the address space hands out the
  // same region for the same view until it allocates another region (IndexedAddressSpace.allocations):
  // for arrays the answer is VALUE_STABLE, and the generated code keeps the address until then.
  mapValue(index: number, offset: number): number {
    const machine = this.machine;
    const map = machine.maps[index];
    if (!map) return VALUE_NONE;
    const value = map.lookup(new Uint8Array(map.def.keySize), machine.cpu);
    if (!value || offset >= value.byteLength) return VALUE_NONE;
    bigToPair(machine.memory.regionForView(value, "map-value", `value in map '${map.def.name}'`, true).base + BigInt(offset));
    return map.def.type === MapType.ARRAY ? VALUE_STABLE : VALUE_MOVES;
  }

  // One instruction through the reference interpreter's own step (run.ts execute), with
  // every register from R and back: the rare instructions and every refusal whose wording is the
  // reference's. Returns CONTINUED or ENDED.
  reference(code: CompiledCode, pc: number, depth: number): number {
    const R = this.R;
    const regs = Array.from({ length: REGISTER_HALVES / 2 }, (_, r) => pairToBig(R[2 * r], R[2 * r + 1]));
    const memory = this.machine.memory as IndexedAddressSpace;
    const frame: Frame = { program: code.program, regs, stack: memory.bySegment.get(Segment.STACK + depth)!, returnPc: -1 };
    this.machine.steps = this.steps;
    const step = execute(this.machine, frame, code.program[pc], pc);
    this.mem.sync();
    this.mem.touchedAnywhere();
    if (step.kind === "fault") return this.fail(step.fault, this.steps);
    if (step.kind === "exit") {
      this.end = step;
      return ENDED;
    }
    regs.forEach((value, r) => {
      bigToPair(value);
      R[2 * r] = PAIR[0];
      R[2 * r + 1] = PAIR[1];
    });
    return CONTINUED;
  }

  // The compiler and the reference disagree on how control leaves an instruction.
  unexpected(pc: number): never {
    throw new Error(`compiled eBPF: the reference interpreter continued after pc ${pc}, where the compiled code expected the run to end`);
  }

  private tailCall(program: Program, pc: number, depth: number): number {
    if (program.length === 0) return this.fail(pcOutOfRangeFault(pc, 0, 0), this.steps);
    this.tailStatus = this.compiledOf(program).enter(0, this, depth);
    return CALL_TAIL;
  }

  // The frame goes on at pc + 1, which must be inside its program (faulting at `faultPc`, as the reference's run loop does).
  private resume(code: CompiledCode, faultPc: number, pc: number, status: number): number {
    const slots = code.program.length;
    if (pc + 1 >= slots) return this.fail(pcOutOfRangeFault(faultPc, pc + 1, slots), this.steps);
    return status;
  }
}
