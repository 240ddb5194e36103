// What a helper implementation sees when the program calls it, and what it
// hands back. The interpreter owns the state; helpers read and change it only
// through this interface, so the same implementations serve every tier.
import type { Program } from "../ebpf/instruction.ts";
import type { MemoryAccessError } from "../interp/fault.ts";
import type { AddressSpace, Region } from "../interp/memory.ts";
import type { BpfMap, RedirectTarget, RingbufSample } from "../maps/types.ts";
import type { XdpBuffer } from "../xdp/buffer.ts";
import type { XdpRxQueue } from "../xdp/context.ts";
import type { RouteTable } from "./fib.ts";
import type { MapHandles } from "./map-handles.ts";

// The simulated clock: time advances with the instructions executed.
export interface SimClock {
  readonly startNs: bigint;
  readonly nsPerInstruction: bigint;
  // CLOCK_BOOTTIME minus CLOCK_MONOTONIC (time spent suspended).
  readonly bootOffsetNs: bigint;
  // CLOCK_TAI minus CLOCK_MONOTONIC (the wall clock's epoch plus the TAI-UTC offset); absent is 0.
  readonly taiOffsetNs?: bigint;
}

export const DEFAULT_CLOCK: SimClock = { startNs: 1_000_000_000n, nsPerInstruction: 1n, bootOffsetNs: 0n };

export interface RandomSource {
  nextU32(): number;
}

// Marsaglia's xorshift32 (shifts 13, 17, 5): deterministic for a given seed.
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0 || 0x9e3779b9;
  return {
    nextU32(): number {
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      return state;
    },
  };
}

// Something the program sent out of band while it ran.
export type RunEvent =
  | { readonly kind: "perf-event"; readonly pc: number; readonly map: string; readonly cpu: number; readonly data: Uint8Array }
  | { readonly kind: "ringbuf"; readonly pc: number; readonly map: string; readonly data: Uint8Array }
  | { readonly kind: "trace-printk"; readonly pc: number; readonly text: string };

// Where the last bpf_redirect / bpf_redirect_map call said the packet should go.
export type XdpRedirect =
  | { readonly kind: "ifindex"; readonly ifindex: number }
  | {
      readonly kind: "map";
      readonly map: string;
      readonly key: number;
      readonly target: RedirectTarget | undefined;
      readonly broadcast: boolean;
      readonly excludeIngress: boolean;
    };

export interface XdpSession {
  readonly buffer: XdpBuffer;
  readonly packetRegion: Region;
  readonly rx: XdpRxQueue;
  redirect: XdpRedirect | undefined;
}

// A ring-buffer record the program reserved and has not yet submitted or discarded.
export interface ReservedRecord {
  readonly map: BpfMap;
  readonly sample: RingbufSample;
  readonly region: Region;
  // Index into the event list, where the record appears once submitted (reservation order).
  readonly eventSlot: number;
}

export interface HelperMachine {
  readonly memory: AddressSpace;
  readonly maps: readonly BpfMap[];
  // Every map a register may point at: \`maps\` by their index, then the inner maps lookups in maps of maps returned.
  readonly mapHandles: MapHandles;
  readonly cpu: number;
  // What bpf_get_current_pid_tgid answers: the interrupted task's tgid << 32 | pid; absent is 0 (the idle task).
  readonly currentPidTgid?: bigint;
  readonly clock: SimClock;
  readonly random: RandomSource;
  // Programs a tail call can reach, by the id a prog_array slot holds.
  readonly programs: ReadonlyMap<number, Program>;
  readonly routes: RouteTable | undefined;
  readonly context: Region | undefined;
  readonly xdp: XdpSession | undefined;
  // Events in order; a reserved ring-buffer record holds its slot as undefined until submitted.
  readonly events: (RunEvent | undefined)[];
  readonly reserved: Map<bigint, ReservedRecord>;
  readonly steps: number;
  tailCalls: number;
}

export interface HelperCall {
  readonly pc: number;
  readonly id: number;
  readonly args: readonly [bigint, bigint, bigint, bigint, bigint];
  readonly machine: HelperMachine;
}

// One step of a helper that calls a function of the program back (bpf_loop,
// bpf_for_each_map_elem): call it once more with these r1..r5, or return `value`.
export type CallbackStep =
  | { readonly kind: "call"; readonly args: readonly [bigint, bigint, bigint, bigint, bigint] }
  | { readonly kind: "done"; readonly value: bigint };

// The calls such a helper makes, driven by the interpreter: each call runs in a
// frame of its own (as a bpf-to-bpf call does) and its r0 decides what follows.
export interface CallbackLoop {
  // The callback's first instruction, in the calling frame's program.
  readonly target: number;
  first(): CallbackStep;
  // After the callback returned r0.
  returned(r0: bigint): CallbackStep;
}

export type HelperOutcome =
  | { readonly kind: "return"; readonly value: bigint }
  | { readonly kind: "callbacks"; readonly loop: CallbackLoop }
  | { readonly kind: "tail-call"; readonly program: Program }
  // The call returned nothing and left r0 as it was (a failed tail call).
  | { readonly kind: "fall-through" }
  // The call is one the verifier would have refused (bad argument): a fault of the run.
  | { readonly kind: "misuse"; readonly message: string }
  | { readonly kind: "memory"; readonly error: MemoryAccessError };

export type HelperImplementation = (call: HelperCall) => HelperOutcome;

export const returns = (value: bigint | number): HelperOutcome => ({
  kind: "return",
  value: BigInt.asUintN(64, BigInt(value)),
});

export const misuse = (message: string): HelperOutcome => ({ kind: "misuse", message });

export const memoryError = (error: MemoryAccessError): HelperOutcome => ({ kind: "memory", error });
