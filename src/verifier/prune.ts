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
import type { PtrReg, RegState } from "./reg-state.ts";
import { SLOT_BYTES, STACK_BYTES, StackByte } from "./state.ts";
import type { Frame, VState } from "./state.ts";

class IdMap {
  // Made on first use: most comparisons meet no ids at all.
  private oldToCur: Map<number, number> | undefined;
  private curToOld: Map<number, number> | undefined;
  private fresh = -1;

  // check_ids: a consistent one-to-one mapping; a zero id stands for a fresh unique one.
  check(oldId: number, curId: number): boolean {
    if (oldId === 0 && curId === 0) return true;
    this.oldToCur ??= new Map();
    this.curToOld ??= new Map();
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

// `liveRegs(frameIndex)` gives the mask of registers live in that frame at the state's position.
// Which scalars of the old state are compared by value: those marked precise, or all.
export type Precision = "marked" | "all";

// `slotLive(frame, slot)`, when given, says which stack slots of old a later instruction reads; the others are
// not compared (the kernel's stack liveness).
export function statesEqual(
  old: VState,
  cur: VState,
  liveRegs: (frameIndex: number) => number,
  exact: boolean,
  precision: Precision = "all",
  slotLive?: (frameIndex: number, slot: number) => boolean,
): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  const ids = new IdMap();
  for (let i = 0; i < old.frames.length; i++) {
    if (old.frames[i].callsite !== cur.frames[i].callsite) return false;
    const cmp: Compare = { ids, exact, allPrecise: precision === "all", slotLive: exact || slotLive === undefined ? undefined : (slot) => slotLive(i, slot) };
    if (!framesEqual(old.frames[i], cur.frames[i], liveRegs(i), cmp)) return false;
  }
  if (old.refs.length !== cur.refs.length) return false;
  return old.refs.every((r, i) => ids.check(r.id, cur.refs[i].id));
}

interface Compare {
  readonly ids: IdMap;
  readonly exact: boolean;
  readonly allPrecise: boolean;
  readonly slotLive: ((slot: number) => boolean) | undefined;
}

function framesEqual(old: Frame, cur: Frame, live: number, cmp: Compare): boolean {
  for (let r = 0; r < old.regs.length; r++) {
    if (((live >> r) & 1) === 0) continue;
    if (!regSafe(old.regs[r], cur.regs[r], cmp)) return false;
  }
  return stackSafe(old, cur, cmp);
}

function regSafe(old: RegState, cur: RegState, cmp: Compare): boolean {
  const { ids } = cmp;
  if (cmp.exact) return regsExact(old, cur, ids);
  switch (old.kind) {
    case "not_init":
      // The old path never read it, so whatever cur holds is never read on the paths old covered.
      return true;
    case "scalar":
      if (cur.kind !== "scalar") return false;
      // No check after old depended on this value: whatever cur holds passes the same checks.
      if (!cmp.allPrecise && old.precise !== true) return true;
      return old.delta === cur.delta && S.covers(old.value, cur.value) && ids.check(old.id, cur.id);
    case "ptr":
      return cur.kind === "ptr" && ptrSafe(old, cur, ids);
  }
}

function ptrSafe(old: PtrReg, cur: PtrReg, ids: IdMap): boolean {
  if (old.type !== cur.type || old.maybeNull !== cur.maybeNull || old.off !== cur.off) return false;
  if (old.map !== cur.map || old.frameNo !== cur.frameNo || old.memSize !== cur.memSize || old.funcPc !== cur.funcPc) return false;
  if (!S.covers(old.varOff, cur.varOff)) return false;
  if ((old.type === "pkt" || old.type === "pkt_meta") && old.range > cur.range) return false;
  if (!ids.check(old.id, cur.id)) return false;
  return ids.check(old.refObjId ?? 0, cur.refObjId ?? 0);
}

function regsExact(old: RegState, cur: RegState, ids: IdMap): boolean {
  if (old.kind !== cur.kind) return false;
  if (old.kind === "not_init") return true;
  if (old.kind === "scalar" && cur.kind === "scalar") return old.delta === cur.delta && S.equalScalars(old.value, cur.value) && ids.check(old.id, cur.id);
  if (old.kind === "ptr" && cur.kind === "ptr") {
    return ptrSafe(old, cur, ids) && S.equalScalars(old.varOff, cur.varOff) && old.range === cur.range;
  }
  return false;
}

// stacksafe: byte by byte; uninitialised (or, for a privileged loader, misc) old bytes accept anything scalar.
function stackSafe(old: Frame, cur: Frame, cmp: Compare): boolean {
  const { exact } = cmp;
  // Bytes below a frame's deepest access were never touched there: invalid in old accepts anything.
  const limit = Math.min(STACK_BYTES, exact ? Math.max(old.stackDepthBytes, cur.stackDepthBytes) : old.stackDepthBytes);
  for (let i = 0; i < limit; i++) {
    // A slot no later instruction reads before writing it: whatever cur holds there is never seen.
    if (cmp.slotLive !== undefined && i % SLOT_BYTES === 0 && !cmp.slotLive(i / SLOT_BYTES)) {
      i += SLOT_BYTES - 1;
      continue;
    }
    const o = old.stack[i];
    const c = cur.stack[i];
    if (exact) {
      if (o !== c) return false;
    } else {
      if (o === StackByte.INVALID) continue;
      if (o === StackByte.MISC) {
        if (c === StackByte.SPILL && cur.spills[Math.floor(i / SLOT_BYTES)]?.kind === "ptr") return false;
        continue;
      }
      if (o !== c) return false;
    }
    if (i % SLOT_BYTES !== SLOT_BYTES - 1 || o !== StackByte.SPILL) continue;
    const slot = Math.floor(i / SLOT_BYTES);
    if (!regSafe(old.spills[slot] ?? { kind: "not_init" }, cur.spills[slot] ?? { kind: "not_init" }, cmp)) return false;
  }
  return true;
}
