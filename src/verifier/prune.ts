// State equivalence for pruning (kernel/bpf/verifier.c states_equal, regsafe,
// stacksafe, check_ids): a state reaching an instruction is safe when an
// already fully explored state there covers it: every live register and
// every stack byte of `old` admits what `cur` holds, with ids mapped one to
// one. A scalar of `old` that no check after it depended on (not marked
// precise by precision.ts) accepts any scalar, as the kernel's regsafe does;
// in "all" mode every scalar is compared by value (a loader without CAP_BPF,
// whose scalars the kernel keeps precise, and states still being explored).
// In `exact` mode (loop detection) the states must be identical.
import * as S from "./scalar.ts";
import { NOT_INIT } from "./reg-state.ts";
import type { PtrReg, RegState } from "./reg-state.ts";
import { type SlotSet, hasSlot } from "./slot-set.ts";
import { SLOT_BYTES, STACK_BYTES, StackByte } from "./state.ts";
import type { Frame, VState } from "./state.ts";

class IdMap {
  private readonly oldToCur = new Map<number, number>();
  private readonly curToOld = new Map<number, number>();
  private fresh = -1;
  // Most comparisons meet no ids at all: only a used map is cleared.
  private used = false;

  reset(): void {
    if (!this.used) return;
    this.oldToCur.clear();
    this.curToOld.clear();
    this.fresh = -1;
    this.used = false;
  }

  // check_ids: a consistent one-to-one mapping; a zero id stands for a fresh unique one.
  check(oldId: number, curId: number): boolean {
    if (oldId === 0 && curId === 0) return true;
    this.used = true;
    const o = oldId === 0 ? this.fresh-- : oldId;
    const c = curId === 0 ? this.fresh-- : curId;
    const mappedCur = this.oldToCur.get(o);
    const mappedOld = this.curToOld.get(c);
    if (mappedCur === undefined && mappedOld === undefined) {
      this.oldToCur.set(o, c);
      this.curToOld.set(c, o);
      return true;
    }
    return mappedCur === c && mappedOld === o;
  }
}

// Which scalars of the old state are compared by value: those marked precise, or all.
export type Precision = "marked" | "all";

// One comparison at a time (statesEqual never nests): its id mapping and mode live here, reused.
const ids = new IdMap();
let exactMode = false;
let allPrecise = true;

// Where the last statesEqual that returned false found a register of old not covering cur's (frame index and
// register number; -1 when it failed elsewhere).
export const lastMismatch = { frame: -1, regno: -1 };

// One register of old against cur's, alone, as a statesEqual in `precision` mode compares it (not exact). A
// register that fails alone fails within a whole comparison too (ids only add constraints), so a false here
// proves statesEqual false.
export function regCovers(old: RegState, cur: RegState, precision: Precision): boolean {
  ids.reset();
  exactMode = false;
  allPrecise = precision === "all";
  return regSafe(old, cur);
}

// `liveRegs[frameIndex]` is the mask of registers live in that frame at the state's position.
// `slotLive`, when given, holds the stack slots of old a later instruction reads (per frame); the others are
// not compared (the kernel's stack liveness).
export function statesEqual(old: VState, cur: VState, liveRegs: ArrayLike<number>, exact: boolean, precision: Precision = "all", slotLive?: SlotSet): boolean {
  const frames = old.frames.length;
  lastMismatch.frame = -1;
  if (frames !== cur.frames.length) return false;
  for (let i = 0; i < frames; i++) if (old.frames[i].callsite !== cur.frames[i].callsite) return false;
  ids.reset();
  exactMode = exact;
  allPrecise = precision === "all";
  const live = exact ? undefined : slotLive;
  for (let i = 0; i < frames; i++) if (!framesEqual(old.frames[i], cur.frames[i], liveRegs[i], live, i)) return false;
  if (old.refs.length !== cur.refs.length) return false;
  for (let i = 0; i < old.refs.length; i++) if (!ids.check(old.refs[i].id, cur.refs[i].id)) return false;
  // refsafe: the same lock held (same map, ids mapped as the registers' are), or none.
  const oldLock = old.lock;
  const curLock = cur.lock;
  if (oldLock === curLock) return true;
  return oldLock !== undefined && curLock !== undefined && oldLock.map === curLock.map && ids.check(oldLock.id, curLock.id);
}

function framesEqual(old: Frame, cur: Frame, live: number, slotLive: SlotSet | undefined, frameIndex: number): boolean {
  // func_states_equal: a state that explored more calls of a bpf_loop callback does not cover one that explored fewer.
  if (old.callbackDepth > cur.callbackDepth) return false;
  const oldRegs = old.regs;
  const curRegs = cur.regs;
  for (let r = 0; r < oldRegs.length; r++) {
    if (((live >> r) & 1) === 0) continue;
    if (!regSafe(oldRegs[r], curRegs[r])) {
      lastMismatch.frame = frameIndex;
      lastMismatch.regno = r;
      return false;
    }
  }
  return stackSafe(old, cur, slotLive, frameIndex);
}

function regSafe(old: RegState, cur: RegState): boolean {
  if (exactMode) return regsExact(old, cur);
  switch (old.kind) {
    case "not_init":
      // The old path never read it, so whatever cur holds is never read on the paths old covered.
      return true;
    case "scalar":
      if (cur.kind !== "scalar") return false;
      // No check after old depended on this value: whatever cur holds passes the same checks.
      if (!allPrecise && old.precise !== true) return true;
      if (old.delta !== cur.delta) return false;
      // The same value without an id: it covers itself.
      if (old.value === cur.value && old.id === 0 && cur.id === 0) return true;
      return S.covers(old.value, cur.value) && ids.check(old.id, cur.id);
    case "ptr":
      return cur.kind === "ptr" && ptrSafe(old, cur);
  }
}

function ptrSafe(old: PtrReg, cur: PtrReg): boolean {
  if (old.type !== cur.type || old.maybeNull !== cur.maybeNull || old.off !== cur.off) return false;
  if (old.map !== cur.map || old.frameNo !== cur.frameNo || old.memSize !== cur.memSize || old.funcPc !== cur.funcPc) return false;
  if (old.varOff !== cur.varOff && !S.covers(old.varOff, cur.varOff)) return false;
  // Kernel struct pointers (a kfunc's result) are the same only for the same struct and trust
  // (a trusted pointer may be passed where an untrusted one may not).
  if (old.kernelStruct !== cur.kernelStruct && (old.kernelStruct?.btfId !== cur.kernelStruct?.btfId || old.kernelStruct?.trusted !== cur.kernelStruct?.trusted)) return false;
  if ((old.type === "pkt" || old.type === "pkt_meta") && old.range > cur.range) return false;
  if (!ids.check(old.id, cur.id)) return false;
  return ids.check(old.refObjId ?? 0, cur.refObjId ?? 0);
}

function regsExact(old: RegState, cur: RegState): boolean {
  if (old.kind !== cur.kind) return false;
  if (old.kind === "not_init") return true;
  if (old.kind === "scalar" && cur.kind === "scalar") return old.delta === cur.delta && S.equalScalars(old.value, cur.value) && ids.check(old.id, cur.id);
  if (old.kind === "ptr" && cur.kind === "ptr") {
    return ptrSafe(old, cur) && S.equalScalars(old.varOff, cur.varOff) && old.range === cur.range;
  }
  return false;
}

// stacksafe: byte by byte; uninitialised (or, for a privileged loader, misc) old bytes accept anything scalar.
function stackSafe(old: Frame, cur: Frame, slotLive: SlotSet | undefined, frameIndex: number): boolean {
  const exact = exactMode;
  // Bytes below a frame's deepest access were never touched there: invalid in old accepts anything.
  const limit = Math.min(STACK_BYTES, exact ? Math.max(old.stackDepthBytes, cur.stackDepthBytes) : old.stackDepthBytes);
  const oldBytes = old.stack;
  const curBytes = cur.stack;
  for (let first = 0, slot = 0; first < limit; first += SLOT_BYTES, slot++) {
    // A slot no later instruction reads before writing it: whatever cur holds there is never seen.
    if (slotLive !== undefined && !hasSlot(slotLive, frameIndex, slot)) continue;
    const end = Math.min(first + SLOT_BYTES, limit);
    for (let i = first; i < end; i++) {
      const o = oldBytes[i];
      const c = curBytes[i];
      if (exact) {
        if (o !== c) return false;
      } else {
        if (o === StackByte.INVALID) continue;
        if (o === StackByte.MISC) {
          if (c === StackByte.SPILL && cur.spills[slot]?.kind === "ptr") return false;
          continue;
        }
        if (o !== c) return false;
      }
      if (i !== first + SLOT_BYTES - 1 || o !== StackByte.SPILL) continue;
      if (!regSafe(old.spills[slot] ?? NOT_INIT, cur.spills[slot] ?? NOT_INIT)) return false;
    }
  }
  return true;
}
