// What a run starts from (RunEnv), how it is bounded and watched (RunOptions)
// and how it ends (RunResult).
import type { Insn, Program } from "../ebpf/instruction.ts";
import type { RouteTable } from "../helpers/fib.ts";
import type { HelperTable } from "../helpers/implementations.ts";
import type { RandomSource, RunEvent, SimClock, XdpRedirect } from "../helpers/runtime.ts";
import type { BpfMap } from "../maps/types.ts";
import type { XdpBuffer } from "../xdp/buffer.ts";
import type { XdpRxQueue } from "../xdp/context.ts";
import type { Fault } from "./fault.ts";

// What r1 points at when the program starts.
export type RunInput =
  | { readonly kind: "none" }
  // Plain memory, as bpf_conformance passes it: r1 = its address, r2 = its length.
  | { readonly kind: "memory"; readonly bytes: Uint8Array }
  // An XDP packet: r1 = struct xdp_md; the helpers may move the buffer's offsets.
  | { readonly kind: "xdp"; readonly buffer: XdpBuffer; readonly rx?: XdpRxQueue };

export interface RunEnv {
  // Maps by the number an ld_imm64 map reference carries in imm (fd or index, src 1/2/5/6).
  readonly maps?: readonly BpfMap[];
  // Tail-call targets, by the program id a prog_array slot holds.
  readonly programs?: ReadonlyMap<number, Program>;
  readonly input?: RunInput;
  // Defaults to the reference table of src/helpers.
  readonly helpers?: HelperTable;
  readonly cpu?: number;
  // bpf_get_current_pid_tgid's answer (tgid << 32 | pid of the interrupted task); default 0, the idle task.
  readonly currentPidTgid?: bigint;
  readonly clock?: SimClock;
  readonly random?: RandomSource;
  readonly routes?: RouteTable;
  // Names of kernel symbols the main program refers to (kfunc calls, __ksym loads) by
  // pc, as the ELF loader reports them, so that the fault they cause can name them.
  readonly externs?: readonly ExternName[];
  // Continue a run begun elsewhere (the host part of a partly offloaded program).
  readonly resume?: ResumePoint;
}

// Where and in what state a continued run starts: at `pc` of the main program,
// with registers r0..r9 as given (missing ones 0) and frame 0's stack bytes.
export interface ResumePoint {
  readonly pc: number;
  readonly registers: readonly (RegisterSeed | undefined)[];
  // Frame 0's stack, lowest address first (r10 points one past its end); shorter is zero-padded at the bottom.
  readonly stack: Uint8Array;
  // 8-byte values placed on that stack after it is copied (spilled pointers), by offset into it.
  readonly stackValues?: readonly { readonly offset: number; readonly seed: RegisterSeed }[];
}

// A register's value, described by what it points at so the run can place it in its own address space.
export type RegisterSeed =
  | { readonly kind: "scalar"; readonly value: bigint }
  | { readonly kind: "context" }
  // Byte offset into the XDP frame (XdpBuffer.frame); may lie outside it, as pointer arithmetic can.
  | { readonly kind: "packet"; readonly offset: number | bigint }
  // Byte offset into frame 0's stack (r10 is the stack's size).
  | { readonly kind: "stack"; readonly offset: number | bigint }
  | { readonly kind: "map"; readonly index: number }
  // A live value of map `index` (the view BpfMap.lookup returned), plus an offset into it.
  | { readonly kind: "map-value"; readonly index: number; readonly value: Uint8Array; readonly offset: number | bigint };

export interface ExternName {
  readonly kind: "kfunc" | "ksym";
  readonly name: string;
  readonly pc: number;
}

export const DEFAULT_MAX_STEPS = 1_000_000;

export interface TraceStep {
  readonly pc: number;
  // 0 for the main program, 1.. inside bpf-to-bpf calls.
  readonly depth: number;
  readonly insn: Insn;
  // The slot after it (the upper half of an ld_imm64).
  readonly next: Insn | undefined;
  // r0..r10 before the instruction runs.
  readonly regs: readonly bigint[];
}

export interface RunOptions {
  // Instructions executed before the run is stopped with a "budget" fault.
  readonly maxSteps?: number;
  // Called before each instruction (costly: copies the registers).
  readonly onStep?: (step: TraceStep) => void;
}

interface RunOutcomeCommon {
  readonly steps: number;
  readonly events: readonly RunEvent[];
  // For XDP runs: where the last bpf_redirect / bpf_redirect_map asked the packet to go.
  readonly redirect?: XdpRedirect;
}

export type RunResult =
  | ({ readonly kind: "exit"; readonly r0: bigint } & RunOutcomeCommon)
  | ({ readonly kind: "fault"; readonly pc: number; readonly message: string; readonly fault: Fault } & RunOutcomeCommon);
