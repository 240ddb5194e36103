// Where each inlined frame's eBPF stack lives in the thread's local memory.
// Bytes keep their eBPF memory order (a map key on the stack is read by the
// firmware exactly as the host helper reads it). Frames are sized by what the
// program touches (the lowest offset any access reaches, or the whole 512 bytes
// when an access has an unknown offset), never deeper than the verifier's stack
// depth of the frame's function when the verifier's facts give it (the kernel
// proved no access goes below it); a callee's frame sits right after its
// caller's, so sibling calls share the space. The first 16 bytes describe a
// packet leaving for the host (see HOST_CUT_SLOT).
import type { MapDef } from "../maps/types.ts";
import { STACK_FRAME_BYTES, type Analysis } from "./analysis.ts";
import type { IrInsn, IrProgram } from "./ir.ts";
import type { AbsState, VerifierFacts } from "./analysis.ts";
import { stackEffects } from "./liveness.ts";
import { helperRoute } from "./lower-helpers.ts";

// The first bytes of local memory describe a packet that leaves for the host, so that
// the host can rebuild its state from what a to_host carries (registers and local memory):
// which exit it took, where the packet data started on the NIC (adjust_head moves it),
// and how many random numbers the NIC part drew (the host's generator continues from there).
export const HOST_CUT_SLOT = 0;
export const HOST_DATA_SLOT = 4;
export const HOST_RANDOM_SLOT = 8;
export const RESERVED_BYTES = 16;

export interface StackLayout {
  // Per frame: local-memory offset of its lowest byte, and its size.
  readonly base: readonly number[];
  readonly size: readonly number[];
  // Local-memory bytes used by frames (spill slots start here).
  readonly framesEndBytes: number;
  // Per frame: the pc of the first access whose depth the compiler could not bound,
  // which sized the frame at the whole 512 bytes (undefined when none did).
  readonly unboundedPc: readonly (number | undefined)[];
  // Per function (by its first pc): its stack depth as the kernel counts it, the verifier's
  // when the facts give it, else the deepest byte the accesses bounded here reach (those
  // not bounded are in unboundedPc).
  readonly functionDepthBytes: ReadonlyMap<number, number>;
}

// The local-memory offset r10 of a frame stands for.
export const frameTop = (layout: StackLayout, frame: number): number => layout.base[frame] + layout.size[frame];

export function layoutStack(program: IrProgram, analysis: Analysis, maps: readonly MapDef[], verifier?: VerifierFacts): StackLayout {
  const deepest = new Array<number>(program.frames.length).fill(0);
  const unbounded = new Array<number | undefined>(program.frames.length).fill(undefined);
  // An access the compiler cannot bound is noted apart: the verifier's depth may bound it.
  const reach = (frame: number, depth: number | undefined, pc: number): void => {
    if (depth !== undefined) deepest[frame] = Math.max(deepest[frame], depth);
    else if (unbounded[frame] === undefined) unbounded[frame] = pc;
  };
  program.blocks.forEach((block) => {
    const states = analysis.before[block.id];
    if (!states) return;
    block.insns.forEach((insn, i) => {
      // Helpers the NIC cannot call run on the host, which has its own stack.
      if (insn.kind === "helper" && !helperRoute(insn.helperId)) return;
      const { reads, writes } = stackEffects(insn, states[i], maps, program.frames.length);
      for (const a of [...reads, ...writes]) {
        if (insn.kind === "call" || insn.kind === "opaque") continue;
        if (a.mask === undefined) reach(a.frame, variableDepth(insn, states[i], a.frame), insn.origin.pc);
        else {
          const lowBit = lowestBit(a.mask);
          if (lowBit >= 0) reach(a.frame, STACK_FRAME_BYTES - lowBit, insn.origin.pc);
        }
      }
    });
  });
  const functionDepthBytes = new Map<number, number>();
  program.frames.forEach((f) => {
    const proven = verifier?.stackDepthBytes?.(f.functionPc);
    functionDepthBytes.set(f.functionPc, Math.max(functionDepthBytes.get(f.functionPc) ?? 0, proven ?? deepest[f.index]));
    if (unbounded[f.index] === undefined) return;
    if (proven === undefined) deepest[f.index] = STACK_FRAME_BYTES;
    else {
      deepest[f.index] = Math.max(deepest[f.index], proven);
      unbounded[f.index] = undefined;
    }
  });
  const size = deepest.map((d) => Math.ceil(d / 8) * 8);
  const base: number[] = [];
  let end = RESERVED_BYTES;
  for (const f of program.frames) {
    base[f.index] = f.parent === undefined ? RESERVED_BYTES : base[f.parent] + size[f.parent];
    end = Math.max(end, base[f.index] + size[f.index]);
  }
  return { base, size, framesEndBytes: end, unboundedPc: unbounded, functionDepthBytes };
}

// How deep below r10 a load or store with a variable stack offset reaches: its lowest possible
// offset when the facts bound it, or undefined.
function variableDepth(insn: IrInsn, state: AbsState, frame: number): number | undefined {
  if (insn.kind !== "op") return undefined;
  const f = insn.form;
  if (f.kind !== "load" && f.kind !== "storeImm" && f.kind !== "storeReg") return undefined;
  const base = state.regs[f.kind === "load" ? f.src : f.dst];
  if (base.k !== "stack" || base.frame !== frame) return undefined;
  const lowest = base.off.smin + BigInt(f.off);
  return lowest < BigInt(-STACK_FRAME_BYTES) ? undefined : Math.max(0, Number(-lowest));
}

function lowestBit(mask: bigint): number {
  if (mask === 0n) return -1;
  let i = 0;
  while (((mask >> BigInt(i)) & 1n) === 0n) i++;
  return i;
}
