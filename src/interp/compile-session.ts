// A machine built once for the compiled tier, on which the program can run
// once (runCompiled) or many times, the way BPF_PROG_TEST_RUN with `repeat`
// does (net/bpf/test_run.c bpf_test_run: the same context, packet and maps
// for every repetition; what one repetition writes, the next one sees). Each
// run starts from the registers and stack the machine was made with (a
// resumed run's seeds, else zeros and the context pointer), no events and no
// redirect; the packet, the maps and the random source carry over. Benchmarks use repeat() to
// time execution apart from building the machine.
import type { Program } from "../ebpf/instruction.ts";
import type { RunEvent } from "../helpers/runtime.ts";
import { IndexedAddressSpace, MemoryPort } from "./compile-memory.ts";
import type { VerifierResult } from "../verifier/index.ts";
import { compiledProgram, compiledProgramWithFacts, type CompiledFunction, type CompiledProgram } from "./compile-program.ts";
import { ENDED, REGISTER_HALVES, RETURNED, RunState, type End } from "./compile-runtime.ts";
import { PAIR, bigToPair, pairToBig } from "./compile-u64.ts";
import { DEFAULT_MAX_STEPS, type RunEnv, type RunOptions, type RunResult } from "./env.ts";
import { createMachine, type Machine } from "./machine.ts";
import type { Fault } from "./fault.ts";
import type { Region } from "./memory.ts";

export interface CompiledRunOptions extends Pick<RunOptions, "maxSteps"> {
  // The verifier's verdict on this program: when it accepted the program, the packet accesses it
  // proved in bounds run without checks (compile-facts.ts). The caller vouches that it is the
  // verdict for this very program and its maps.
  readonly facts?: VerifierResult;
}

export class CompiledSession {
  readonly machine: Machine;
  private readonly code: CompiledProgram;
  private readonly initialRegisters: number[] = new Array<number>(REGISTER_HALVES).fill(0);
  private readonly state: RunState;
  private readonly stackBytes: Uint8Array;
  private readonly stackRegion: Region;
  private readonly entryFunction: CompiledFunction;
  // A resumed run's seeded stack; other runs start from a zeroed one.
  private readonly initialStack: Uint8Array | undefined;
  // Why no run can start (an empty program, a resume pc outside it).
  private readonly startFault: Fault | undefined;

  constructor(
    readonly program: Program,
    env: RunEnv = {},
    options: CompiledRunOptions = {},
  ) {
    const memory = new IndexedAddressSpace();
    this.machine = createMachine(program, env, memory);
    // The verifier's facts hold for XDP runs of the program it accepted only.
    this.code = options.facts?.accepted && this.machine.xdp ? compiledProgramWithFacts(program, options.facts) : compiledProgram(program);
    this.state = new RunState(this.machine, new MemoryPort(memory, this.machine.xdp?.buffer), options.maxSteps ?? DEFAULT_MAX_STEPS, compiledProgram);
    this.stackRegion = this.machine.frames[0].stack;
    this.stackBytes = this.stackRegion.bytes;
    this.initialStack = env.resume ? this.stackBytes.slice() : undefined;
    const pc = env.resume?.pc ?? 0;
    if (program.length === 0) this.startFault = { kind: "pc-out-of-range", pc: 0, message: "pc 0: the program is empty" };
    else if (!(Number.isInteger(pc) && pc >= 0 && pc < program.length)) {
      this.startFault = { kind: "pc-out-of-range", pc, message: `pc ${pc}: a resumed run cannot start outside the program (${program.length} slots)` };
    }
    this.entryFunction = this.startFault === undefined ? this.code.entry(pc) : () => ENDED;
    this.machine.frames[0].regs.forEach((value, r) => {
      bigToPair(value);
      this.initialRegisters[2 * r] = PAIR[0];
      this.initialRegisters[2 * r + 1] = PAIR[1];
    });
  }

  // One more run on the machine as the last run left it.
  run(): RunResult {
    return this.repeat(1);
  }

  // `times` runs, the result of the last one (nothing is built for the others).
  repeat(times: number): RunResult {
    let status = RETURNED;
    for (let i = 0; i < times; i++) {
      this.rewind();
      status = this.execute();
    }
    return this.finish(status === RETURNED ? { kind: "exit", r0: pairToBig(this.state.R[0], this.state.R[1]) } : this.state.end!);
  }

  // The packet window or the address space changed from outside (between runs): forget what the cache knew.
  invalidate(): void {
    this.state.mem.flush();
  }

  // The XDP frame holds another packet (its bytes and offsets set from outside, between runs): the packet's window is re-read.
  packetReplaced(): void {
    this.state.mem.sync();
  }

  private rewind(): void {
    const machine = this.machine;
    const state = this.state;
    machine.steps = 0;
    machine.tailCalls = 0;
    if (machine.events.length > 0) machine.events.length = 0;
    if (machine.reserved.size > 0) machine.reserved.clear();
    if (machine.xdp) machine.xdp.redirect = undefined;
    if (this.initialStack) this.stackBytes.set(this.initialStack);
    else state.mem.zeroWritten(this.stackRegion);
    state.start = this.initialRegisters;
    state.steps = 0;
    state.end = undefined;
  }

  private execute(): number {
    if (this.startFault !== undefined) {
      this.state.end = { kind: "fault", fault: this.startFault };
      return ENDED;
    }
    return this.entryFunction(this.state, 0);
  }

  // run.ts finish: the events in order (unsubmitted ring-buffer records dropped) and the redirect.
  private finish(end: End): RunResult {
    const machine = this.machine;
    const steps = this.state.steps;
    machine.steps = steps;
    const events = machine.events.filter((event): event is RunEvent => event !== undefined);
    const common = { steps, events, ...(machine.xdp?.redirect ? { redirect: machine.xdp.redirect } : {}) };
    if (end.kind === "exit") return { kind: "exit", r0: end.r0, ...common };
    return { kind: "fault", pc: end.fault.pc, message: end.fault.message, fault: end.fault, ...common };
  }
}
