// What code generation produces: everything needed to run the program on the
// NIC model. Per stage a microprogram (ring i feeds stage i); per host exit
// where each live eBPF register and stack byte is, so the runner can rebuild
// the interpreter's state; the map placement; and the executor parameters.
import type { ExecParams } from "../../hw-model/exec/params.ts";
import type { Microprogram } from "../../hw-model/isa/instruction.ts";
import type { Origin } from "./ir.ts";
import type { MemTarget } from "./micro-ir.ts";
import type { MapPlacement } from "./placement.ts";
import type { OffloadSource } from "./source.ts";

export type WordLocation = { readonly kind: "const"; readonly value: number } | { readonly kind: "reg"; readonly reg: number } | { readonly kind: "lm"; readonly offset: number };

// What a live register holds, as far as translating it to the host is concerned.
export type RegisterKind =
  | { readonly kind: "scalar" }
  | { readonly kind: "ctx" }
  | { readonly kind: "packet" }
  | { readonly kind: "stack" }
  | { readonly kind: "value" }
  | { readonly kind: "map"; readonly map: number };

export interface ExitRegister {
  readonly reg: number;
  readonly kind: RegisterKind;
  readonly lo: WordLocation;
  readonly hi: WordLocation;
}

export interface HostExit {
  readonly id: number;
  readonly resumePc: number;
  readonly origin: Origin;
  readonly registers: readonly ExitRegister[];
  // Frame 0's stack in local memory: r10 is at lm offset frameTop, the frame is frameBytes long.
  readonly frameTop: number;
  readonly frameBytes: number;
  // Where frame 0's bytes live: the lowest scratchBytes in the thread's scratch window from
  // scratchBase, the rest in local memory from lmBase (stack-homes.ts).
  readonly frameHome: { readonly scratchBytes: number; readonly scratchBase: number; readonly lmBase: number };
  // Live stack bytes of frame 0 (bit i: offset i - 512).
  readonly stackLive: bigint;
  // Stack slots (offset from r10) holding a spilled pointer, with its kind.
  readonly pointerSlots: readonly { readonly offset: number; readonly kind: RegisterKind }[];
}

// Where the code of one eBPF instruction leaves a word of an eBPF register of its own frame:
// the NIC register, or local-memory spill slot, the allocator gave that word's home (loOf/hiOf
// in micro-ir.ts). The lock-step trace of a counterexample compares exactly these words.
export interface HomeWrite {
  readonly reg: number;
  readonly half: "lo" | "hi";
  readonly home: Exclude<WordLocation, { readonly kind: "const" }>;
}

export interface NicStage {
  readonly index: number;
  readonly program: Microprogram;
  // The eBPF instruction each microcode pc implements (undefined for glue), and what each memory command reaches.
  readonly origins: readonly (Origin | undefined)[];
  readonly memTargets: readonly (MemTarget | undefined)[];
  // IR blocks compiled into this stage.
  readonly irBlocks: readonly number[];
}

export interface NicImage {
  readonly programName: string;
  readonly preset: string;
  readonly source: OffloadSource;
  readonly stages: readonly NicStage[];
  readonly hostExits: readonly HostExit[];
  readonly maps: readonly MapPlacement[];
  readonly execParams: ExecParams;
  // Topology index of the PCIe DMA engine (perf events go there).
  readonly pcieTarget: number;
  // Local-memory bytes per thread the code uses (stack frames and spill slots).
  readonly localMemoryBytes: number;
  // The NIC part counts its bpf_get_prandom_u32 draws in local memory (HOST_RANDOM_SLOT).
  readonly countsRandomDraws: boolean;
  // By eBPF pc: the register words its code writes, and their homes. A register absent here is a
  // constant the compiler folded, dead, or finished by another instruction's code.
  readonly registerHomes: ReadonlyMap<number, readonly HomeWrite[]>;
}
