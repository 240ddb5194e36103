// The side under test, as the suite sees it: a backend that knows which plan
// variations a program has (core counts times the planner's valid stage
// cuts) and compiles one into a target that runs a packet on the NIC model
// (the generated microcode through its stages, the host part behind it) and
// gives the same CaseOutcome as the host interpreter. The real backend is
// src/equiv/offload-backend.ts (src/offload + hw-model); tests may pass
// another to check the suite itself.
import type { HomeWrite } from "../offload/nic-image.ts";
import type { SimMap } from "../maps/index.ts";
import type { RunEnvironment } from "./host-side.ts";
import type { CaseOutcome } from "./outcome.ts";
import type { EquivSubject } from "./subject.ts";

export interface PlanVariation {
  readonly cores: number;
  // Index into the planner's valid stage cuts for this core count (0: the planner's own choice).
  readonly cut: number;
}

// One microcode instruction executed, with what it wrote (for the lock-step trace).
export interface MicroStep {
  readonly stage: number;
  readonly pc: number;
  // The eBPF instruction it implements (undefined for glue: stage entry, handover, dispatch).
  readonly ebpfPc: number | undefined;
  readonly text: string;
  // Registers written, "a3=0x0000abcd" (name, then the 32-bit value in hex).
  readonly writes: readonly string[];
}

export interface NicRun {
  readonly outcome: CaseOutcome;
  // The microcode executed, when a trace was asked for and the backend can give one.
  readonly trace?: readonly MicroStep[];
  // The eBPF pcs that have microcode in the image (to line the trace up with the host's steps).
  readonly lowered?: ReadonlySet<number>;
  // Where each eBPF instruction's code leaves each register word (the image's registerHomes), with the trace.
  readonly registerHomes?: ReadonlyMap<number, readonly HomeWrite[]>;
  // Why there is no trace when one was asked for.
  readonly traceMissing?: string;
  // Where the NIC handed the packet to the host part (eBPF pc it resumed at), if it did.
  readonly hostResumePc?: number;
}

export interface NicTarget {
  readonly variation: PlanVariation;
  // The plan, readable: stages, cores, the eBPF range of each, the host part.
  readonly planLines: readonly string[];
  run(packet: Uint8Array, initialMaps: readonly SimMap[], env: RunEnvironment, trace: boolean): NicRun;
}

export type Compiled =
  | { readonly kind: "target"; readonly target: NicTarget }
  // The compiler says, as it would to a user, that this plan cannot be made: nothing runs on the NIC.
  | { readonly kind: "refused"; readonly reason: string }
  // The compiler broke (an internal error): a difference in itself.
  | { readonly kind: "failed"; readonly error: string };

export interface NicBackend {
  readonly name: string;
  // How many valid stage cuts the planner offers for this core count (at least 1).
  cutCount(subject: EquivSubject, cores: number): number;
  compile(subject: EquivSubject, variation: PlanVariation): Compiled;
}
