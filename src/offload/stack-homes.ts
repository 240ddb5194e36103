// Where each stack byte physically lives: the thread's local memory or, when the
// frames, the reserved slots and the register spill slots do not all fit local
// memory, the thread's scratch window (hw-model address region 4, in the
// island's CLS). stack-layout.ts gives every frame a place in one virtual stack
// space (pointer values are addresses in it, so host exits translate them as
// before); here each frame is split once: its lowest (deepest) `scratchBytes`
// go to the scratch window, the rest stay in local memory. Splits move the bytes
// the program touches least (static block frequencies, as the cost model
// estimates them) and never cut through an access, so every load, store and
// helper key lies in one home. A frame reached through a pointer of unknown
// offset is moved whole or not at all, so one constant turns its pointers into
// the home's addresses.
import { localAddress, scratchAddress } from "../../hw-model/exec/address.ts";
import { STACK_FRAME_BYTES, type Analysis } from "./analysis.ts";
import type { FrontEnd } from "./front-end.ts";
import { successors } from "./ir.ts";
import { staticFrequencies } from "./frequency.ts";
import { stackEffects } from "./liveness.ts";
import { helperRoute } from "./lower-helpers.ts";
import { RESERVED_BYTES, type StackLayout } from "./stack-layout.ts";
import type { MapDef } from "../maps/types.ts";
import type { IrProgram } from "./ir.ts";

export interface FrameHome {
  // The frame's lowest bytes kept in the scratch window, from scratchBase.
  readonly scratchBytes: number;
  readonly scratchBase: number;
  // Local-memory offset of the frame's first byte above them.
  readonly lmBase: number;
}

export interface StackHomes {
  readonly frames: readonly FrameHome[];
  // Local-memory bytes the reserved slots and frames use (register spill slots start here).
  readonly lmEndBytes: number;
  // Scratch-window bytes the frames use.
  readonly scratchEndBytes: number;
}

export type ByteHome = { readonly kind: "lm"; readonly offset: number } | { readonly kind: "scratch"; readonly offset: number };

export class StackPlacementError extends Error {}

// Every frame in local memory at its virtual place (what fits needs no scratch).
export function identityHomes(layout: StackLayout): StackHomes {
  return { frames: layout.base.map((lmBase) => ({ scratchBytes: 0, scratchBase: 0, lmBase })), lmEndBytes: layout.framesEndBytes, scratchEndBytes: 0 };
}

// Where the byte at virtual offset `virtual` of `frame` lives.
export function homeOf(layout: StackLayout, homes: StackHomes, frame: number, virtual: number): ByteHome {
  const h = homes.frames[frame];
  const j = virtual - layout.base[frame];
  return j < h.scratchBytes ? { kind: "scratch", offset: h.scratchBase + j } : { kind: "lm", offset: h.lmBase + j - h.scratchBytes };
}

// The home of `bytes` bytes from `virtual`, or undefined when they straddle the frame's split.
export function spanHome(layout: StackLayout, homes: StackHomes, frame: number, virtual: number, bytes: number): ByteHome | undefined {
  const first = homeOf(layout, homes, frame, virtual);
  const last = homeOf(layout, homes, frame, virtual + bytes - 1);
  return first.kind === last.kind && last.offset - first.offset === bytes - 1 ? first : undefined;
}

// The home's model address of the byte at `virtual` of `frame` (its pointer value is localAddress(virtual)).
export function homeAddress(layout: StackLayout, homes: StackHomes, frame: number, virtual: number): number {
  const h = homeOf(layout, homes, frame, virtual);
  return h.kind === "lm" ? localAddress(h.offset) : scratchAddress(h.offset);
}

// What to add to a pointer into a frame that is wholly in one home to get the home's address.
export function wholeFrameDelta(layout: StackLayout, homes: StackHomes, frame: number): number {
  return (homeAddress(layout, homes, frame, layout.base[frame]) - localAddress(layout.base[frame])) | 0;
}

interface FrameUse {
  // An access through a pointer of unknown offset reaches the frame.
  dynamic: boolean;
  // Per byte of the frame (0 = lowest): accesses per packet.
  weight: Float64Array;
  // Split points (multiples of 4) that would cut through an access.
  blocked: Set<number>;
}

function frameUses(program: IrProgram, analysis: Analysis, maps: readonly MapDef[], layout: StackLayout, loopTrips: number): FrameUse[] {
  const uses: FrameUse[] = layout.size.map((size) => ({ dynamic: false, weight: new Float64Array(size), blocked: new Set<number>() }));
  const freq = staticFrequencies({ size: program.blocks.length, entry: 0, successors: (n) => successors(program.blocks[n].term) }, () => loopTrips);
  program.blocks.forEach((block) => {
    const states = analysis.before[block.id];
    if (!states) return;
    block.insns.forEach((insn, i) => {
      if (insn.kind === "call" || insn.kind === "opaque") return;
      if (insn.kind === "helper" && !helperRoute(insn.helperId)) return;
      const { reads, writes } = stackEffects(insn, states[i], maps, program.frames.length);
      for (const a of [...reads, ...writes]) {
        const use = uses[a.frame];
        if (a.mask === undefined) {
          use.dynamic = true;
          continue;
        }
        const bottom = STACK_FRAME_BYTES - layout.size[a.frame];
        let lo = -1;
        let hi = -1;
        for (let bit = bottom; bit < STACK_FRAME_BYTES; bit++) {
          if (((a.mask >> BigInt(bit)) & 1n) === 0n) continue;
          const j = bit - bottom;
          use.weight[j] += freq[block.id];
          if (lo < 0) lo = j;
          hi = j;
        }
        for (let s = Math.ceil((lo + 1) / 4) * 4; lo >= 0 && s <= hi; s += 4) use.blocked.add(s);
      }
    });
  });
  return uses;
}

// Places the frames so that local memory keeps at most `lmBudgetBytes` (reserved slots included),
// moving the least-used bytes to a scratch window of `scratchBytes`. When moving bytes by use fills
// the window before local memory fits (small callee frames taken before a big one that must move
// whole), whole frames are moved instead, the largest first.
export function placeStack(fe: FrontEnd, lmBudgetBytes: number, scratchBytes: number, loopTrips: number): StackHomes {
  const { layout, ir } = fe;
  if (layout.framesEndBytes <= lmBudgetBytes) return identityHomes(layout);
  const uses = frameUses(ir, fe.analysis, fe.maps, layout, loopTrips);
  try {
    return greedy(fe, uses, lmBudgetBytes, scratchBytes, false);
  } catch (e) {
    if (!(e instanceof StackPlacementError)) throw e;
    return greedy(fe, uses, lmBudgetBytes, scratchBytes, true);
  }
}

function greedy(fe: FrontEnd, uses: readonly FrameUse[], lmBudgetBytes: number, scratchBytes: number, wholeFrames: boolean): StackHomes {
  const { layout, ir } = fe;
  const frames = ir.frames;
  const k = layout.size.map(() => 0);
  const build = (): StackHomes => {
    const homes: FrameHome[] = [];
    let lmEnd = RESERVED_BYTES;
    let scratchEnd = 0;
    for (const f of frames) {
      const parent = f.parent === undefined ? undefined : homes[f.parent];
      const parentLmEnd = parent ? parent.lmBase + layout.size[f.parent!] - parent.scratchBytes : RESERVED_BYTES;
      const parentScratchEnd = parent ? parent.scratchBase + parent.scratchBytes : 0;
      homes[f.index] = { scratchBytes: k[f.index], scratchBase: parentScratchEnd, lmBase: parentLmEnd };
      lmEnd = Math.max(lmEnd, parentLmEnd + layout.size[f.index] - k[f.index]);
      scratchEnd = Math.max(scratchEnd, parentScratchEnd + k[f.index]);
    }
    return { frames: homes, lmEndBytes: lmEnd, scratchEndBytes: scratchEnd };
  };
  // The next split point of a frame above its current one.
  const nextSplit = (f: number): number | undefined => {
    const size = layout.size[f];
    if (k[f] >= size) return undefined;
    if (uses[f].dynamic || wholeFrames) return size;
    for (let s = k[f] + 4; s <= size; s += 4) if (!uses[f].blocked.has(s)) return s;
    return undefined;
  };
  for (;;) {
    const homes = build();
    if (homes.lmEndBytes <= lmBudgetBytes) return homes;
    // Frames on a chain that reaches the end of local memory: moving their bytes is what helps.
    const chainEnd = layout.size.map((size, f) => homes.frames[f].lmBase + size - k[f]);
    for (let i = frames.length - 1; i >= 0; i--) {
      const p = frames[i].parent;
      if (p !== undefined) chainEnd[p] = Math.max(chainEnd[p], chainEnd[i]);
    }
    let best: { f: number; s: number; cost: number } | undefined;
    for (const f of frames) {
      if (chainEnd[f.index] < homes.lmEndBytes) continue;
      const s = nextSplit(f.index);
      if (s === undefined) continue;
      const before = k[f.index];
      k[f.index] = s;
      const fits = build().scratchEndBytes <= scratchBytes;
      k[f.index] = before;
      if (!fits) continue;
      let weight = 0;
      for (let j = before; j < s; j++) weight += uses[f.index].weight[j];
      const cost = wholeFrames ? -(s - before) : weight / (s - before);
      if (!best || cost < best.cost) best = { f: f.index, s, cost };
    }
    if (!best) {
      throw new StackPlacementError(
        `the stack needs ${homes.lmEndBytes} bytes of local memory (${lmBudgetBytes} available) and the ${scratchBytes}-byte scratch window cannot take enough of it`,
      );
    }
    k[best.f] = best.s;
  }
}
