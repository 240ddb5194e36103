// Conditional jumps (kernel/bpf/verifier.c check_cond_jmp_op): decide the
// branch when the operands settle it, otherwise split the state and teach
// each side what the comparison proved: scalar bounds (and the registers
// linked to them by id), that a pointer from a lookup is or is not NULL
// (mark_ptr_or_null_regs), or how many packet bytes lie before data_end
// (find_good_pkt_pointers).
import type { JumpCondInstruction } from "../ebpf/jump.ts";
import type { Env } from "./env.ts";
import { readReg } from "./alu-check.ts";
import { MAX_PACKET_OFF } from "./mem-access.ts";
import * as S from "./scalar.ts";
import * as T from "./tnum.ts";
import type { CmpName } from "./scalar.ts";
import { MapType, type MapDef } from "../maps/types.ts";
import { constReg, ptrReg, scalarReg } from "./reg-state.ts";
import type { PtrReg, PtrType, RegState } from "./reg-state.ts";
import { reject } from "./reject.ts";
import { mayPointToSpinLock } from "./spin-lock.ts";
import { cloneState, curFrame, forEachReg } from "./state.ts";
import type { VState } from "./state.ts";

// The states after the jump: undefined where that way cannot be taken.
export interface BranchStates {
  readonly fallthrough: VState | undefined;
  readonly taken: VState | undefined;
}

const CMP: Readonly<Record<JumpCondInstruction["op"], CmpName>> = {
  jeq: "eq", jne: "ne", jgt: "gt", jge: "ge", jlt: "lt", jle: "le", jsgt: "sgt", jsge: "sge", jslt: "slt", jsle: "sle", jset: "set",
};

export function conditionalJump(env: Env, state: VState, form: JumpCondInstruction): BranchStates {
  const frame = curFrame(state);
  const src: RegState = form.source === "reg" ? readReg(frame, form.src) : constReg(form.width === 64 ? BigInt(form.imm) : BigInt(form.imm >>> 0));
  const dst = readReg(frame, form.dst);

  if (dst.kind === "scalar" && src.kind === "scalar") return scalarBranch(env, state, form, dst.value, src.value);

  const nullCheck = form.width === 64 && form.source === "imm" && form.imm === 0 && (form.op === "jeq" || form.op === "jne");
  if (nullCheck && dst.kind === "ptr" && dst.maybeNull) {
    const taken = cloneState(state);
    markPtrOrNull(state, dst, form.op === "jne");
    markPtrOrNull(taken, dst, form.op === "jeq");
    return { fallthrough: state, taken };
  }
  const packetKnown = form.width === 64 ? packetBranchTaken(dst, src, form.op) : undefined;
  if (packetKnown !== undefined) return packetKnown ? { fallthrough: undefined, taken: state } : { fallthrough: state, taken: undefined };
  const known = pointerBranchTaken(dst, src, form);
  // The scalar compared with a pointer decided the branch by being zero.
  if (known !== undefined && dst.kind === "scalar") env.precision?.reg(form.dst);
  if (known !== undefined && src.kind === "scalar" && form.source === "reg") env.precision?.reg(form.src);
  if (known !== undefined) return known ? { fallthrough: undefined, taken: state } : { fallthrough: state, taken: undefined };

  const taken = cloneState(state);
  if (form.width === 64 && dst.kind === "ptr" && src.kind === "ptr" && matchPacketPointers(form, dst, src, state, taken)) {
    return { fallthrough: state, taken };
  }
  if (!env.opts.allowPtrLeaks && dst.kind === "ptr") reject("EACCES", `R${form.dst} pointer comparison prohibited`);
  return { fallthrough: state, taken };
}

function scalarBranch(env: Env, state: VState, form: JumpCondInstruction, a: S.Scalar, b: S.Scalar): BranchStates {
  const cmp = CMP[form.op];
  // Like the kernel, decide the branch from the ranges alone (is_scalar_branch_taken); a decided branch teaches nothing.
  const decided = scalarBranchTaken(cmp, form.width, a, b);
  // The other way was never explored, so both operands' values matter (check_cond_jmp_op).
  if (decided !== undefined) {
    env.precision?.reg(form.dst);
    if (form.source === "reg") env.precision?.reg(form.src);
  }
  if (decided === true) return { fallthrough: undefined, taken: state };
  if (decided === false) return { fallthrough: state, taken: undefined };
  const taken = cloneState(state);
  applyRefinement(state, form, S.refine(cmp, form.width, a, b, false));
  applyRefinement(taken, form, S.refine(cmp, form.width, a, b, true));
  return { fallthrough: state, taken };
}

// kernel/bpf/verifier.c is_scalar_branch_taken: true/false when the ranges decide the comparison.
export function scalarBranchTaken(cmp: CmpName, width: 32 | 64, a: S.Scalar, b: S.Scalar): boolean | undefined {
  const w32 = width === 32;
  const ta = w32 ? T.subreg(a.bits) : a.bits;
  const tb = w32 ? T.subreg(b.bits) : b.bits;
  const umin1 = w32 ? a.u32min : a.umin;
  const umax1 = w32 ? a.u32max : a.umax;
  const smin1 = w32 ? a.s32min : a.smin;
  const smax1 = w32 ? a.s32max : a.smax;
  const umin2 = w32 ? b.u32min : b.umin;
  const umax2 = w32 ? b.u32max : b.umax;
  const smin2 = w32 ? b.s32min : b.smin;
  const smax2 = w32 ? b.s32max : b.smax;
  switch (cmp) {
    case "eq":
      if (T.isConst(ta) && T.isConst(tb)) return ta.value === tb.value;
      return disjoint(w32, a, b) ? false : undefined;
    case "ne":
      if (T.isConst(ta) && T.isConst(tb)) return ta.value !== tb.value;
      return disjoint(w32, a, b) ? true : undefined;
    case "set": {
      // Whichever operand is the constant is the mask.
      const [t1, t2] = T.isConst(tb) ? [ta, tb] : [tb, ta];
      if (!T.isConst(t2)) return undefined;
      if ((~t1.mask & t1.value & t2.value) !== 0n) return true;
      if (((t1.mask | t1.value) & t2.value) === 0n) return false;
      return undefined;
    }
    case "gt":
      return umin1 > umax2 ? true : umax1 <= umin2 ? false : undefined;
    case "sgt":
      return smin1 > smax2 ? true : smax1 <= smin2 ? false : undefined;
    case "lt":
      return umax1 < umin2 ? true : umin1 >= umax2 ? false : undefined;
    case "slt":
      return smax1 < smin2 ? true : smin1 >= smax2 ? false : undefined;
    case "ge":
      return umin1 >= umax2 ? true : umax1 < umin2 ? false : undefined;
    case "sge":
      return smin1 >= smax2 ? true : smax1 < smin2 ? false : undefined;
    case "le":
      return umax1 <= umin2 ? true : umin1 > umax2 ? false : undefined;
    case "sle":
      return smax1 <= smin2 ? true : smin1 > smax2 ? false : undefined;
  }
}

// No value lies in both operands' ranges (of the compared width; 64-bit also by their low halves).
function disjoint(w32: boolean, a: S.Scalar, b: S.Scalar): boolean {
  if (w32) return a.u32min > b.u32max || a.u32max < b.u32min || a.s32min > b.s32max || a.s32max < b.s32min;
  return a.umin > b.umax || a.umax < b.umin || a.smin > b.smax || a.smax < b.smin ||
    a.u32min > b.u32max || a.u32max < b.u32min || a.s32min > b.s32max || a.s32max < b.s32min;
}

// Write the refined operands back, and into every register sharing their id (sync_linked_regs).
// A refinement found impossible leaves the operands unknown, as the kernel's reg_bounds_sanity_check
// does: the kernel keeps exploring such a branch, so this verifier must too.
function applyRefinement(state: VState, form: JumpCondInstruction, refined: [S.Scalar, S.Scalar] | undefined): void {
  const [a, b] = refined ?? [S.unknown, S.unknown];
  setRefined(state, form.dst, a);
  if (form.source === "reg") setRefined(state, form.src, b);
}

function setRefined(state: VState, regno: number, value: S.Scalar): void {
  const frame = curFrame(state);
  const old = frame.regs[regno];
  if (old.kind !== "scalar") return;
  frame.regs[regno] = scalarReg(value, old.id, old.delta);
  if (old.id === 0) return;
  const known = old.delta ?? 0;
  forEachReg(state, (r, replace) => {
    if (r.kind !== "scalar" || r.id !== old.id || r === frame.regs[regno]) return;
    const delta = r.delta ?? 0;
    // A register that is the shared value plus another constant gets the refined value shifted by the difference.
    const shifted = delta === known ? value : S.alu("add", 64, value, S.constant(BigInt(delta - known)));
    replace(scalarReg(shifted, r.id, r.delta));
  });
}

// mark_ptr_or_null_regs: every copy of a nullable pointer (same id) becomes NULL (scalar 0) or a valid
// pointer; a map of maps' value becomes CONST_PTR_TO_MAP of its inner template (map->inner_map_meta).
function markPtrOrNull(state: VState, ptr: PtrReg, isNull: boolean): void {
  const id = ptr.id;
  forEachReg(state, (r, replace) => {
    if (r.kind !== "ptr" || !r.maybeNull || r.id !== id) return;
    if (isNull) replace(constReg(0n));
    else if (r.type === "map_value" && isMapOfMaps(r.map)) replace(ptrReg("map_ptr", { map: r.map!.inner ?? r.map }));
    // The id is no longer needed, except by a pointer bpf_spin_unlock may compare with the one that locked.
    else replace({ ...r, maybeNull: false, id: r.type === "map_value" && mayPointToSpinLock(r.map) ? r.id : 0 });
  });
  if (isNull && ptr.refObjId !== undefined) state.refs = state.refs.filter((ref) => ref.id !== ptr.refObjId);
}

const isMapOfMaps = (map: MapDef | undefined): boolean => map?.type === MapType.ARRAY_OF_MAPS || map?.type === MapType.HASH_OF_MAPS;

// is_branch_taken for pointers: a pointer that cannot be NULL is never equal to 0.
function pointerBranchTaken(dst: RegState, src: RegState, form: JumpCondInstruction): boolean | undefined {
  const [ptr, other] = dst.kind === "ptr" ? [dst, src] : [src, dst];
  if (ptr.kind !== "ptr" || other.kind !== "scalar") return undefined;
  if (S.constValue(other.value) !== 0n) return undefined;
  const notNull = !ptr.maybeNull && (ptr.type === "map_value" || ptr.type === "map_key" || ptr.type === "map_ptr" || ptr.type === "ringbuf_mem" || ptr.type === "mem");
  if (!notNull) return undefined;
  if (form.op === "jeq") return false;
  if (form.op === "jne") return true;
  return undefined;
}

// A packet pointer's range after a comparison proved it at data_end (AT_PKT_END) or beyond it (BEYOND_PKT_END).
export const AT_PKT_END = -1;
export const BEYOND_PKT_END = -2;

// is_pkt_ptr_branch_taken: a pointer already known to be at or beyond data_end decides a new comparison with it.
function packetBranchTaken(dst: RegState, src: RegState, op: JumpCondInstruction["op"]): boolean | undefined {
  if (dst.kind !== "ptr" || src.kind !== "ptr") return undefined;
  const isPacketAny = (r: PtrReg): boolean => r.type === "pkt" || r.type === "pkt_meta" || r.type === "pkt_end";
  if (!isPacketAny(dst) || !isPacketAny(src)) return undefined;
  let pkt: PtrReg;
  if (src.type === "pkt_end") pkt = dst;
  else if (dst.type === "pkt_end") {
    pkt = src;
    op = mirror(op);
  } else return undefined;
  if (pkt.range >= 0) return undefined;
  switch (op) {
    case "jle":
    case "jgt":
      return pkt.range === BEYOND_PKT_END ? op === "jgt" : undefined;
    case "jlt":
    case "jge":
      return pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END ? op === "jge" : undefined;
    default:
      return undefined;
  }
}

// try_match_pkt_pointers: a packet pointer compared with data_end (or packet_meta with data) proves a range on one
// side; on the other side the compared register is at (or beyond) data_end (mark_pkt_end).
function matchPacketPointers(form: JumpCondInstruction, dst: PtrReg, src: PtrReg, fall: VState, taken: VState): boolean {
  const dataVsEnd = (p: PtrReg, q: PtrReg): boolean => (p.type === "pkt" && q.type === "pkt_end") || (p.type === "pkt_meta" && isInitPacket(q));
  let ptr: PtrReg;
  let ptrOnLeft: boolean;
  if (dataVsEnd(dst, src)) {
    ptr = dst;
    ptrOnLeft = true;
  } else if (dataVsEnd(src, dst)) {
    ptr = src;
    ptrOnLeft = false;
  } else {
    return false;
  }
  const regno = ptrOnLeft ? form.dst : form.src;
  // Which side learns ptr <= end (closed) or ptr < end (open).
  const op = ptrOnLeft ? form.op : mirror(form.op);
  switch (op) {
    case "jgt":
      findGoodPacketPointers(fall, ptr, false);
      markPacketEnd(taken, regno, BEYOND_PKT_END);
      return true;
    case "jge":
      findGoodPacketPointers(fall, ptr, true);
      markPacketEnd(taken, regno, AT_PKT_END);
      return true;
    case "jlt":
      findGoodPacketPointers(taken, ptr, true);
      markPacketEnd(fall, regno, AT_PKT_END);
      return true;
    case "jle":
      findGoodPacketPointers(taken, ptr, false);
      markPacketEnd(fall, regno, BEYOND_PKT_END);
      return true;
    default:
      return false;
  }
}

// mark_pkt_end: only the compared register, and only a packet (not metadata) pointer.
function markPacketEnd(state: VState, regno: number, range: number): void {
  const frame = curFrame(state);
  const reg = frame.regs[regno];
  if (reg.kind === "ptr" && reg.type === "pkt") frame.regs[regno] = { ...reg, range };
}

const isInitPacket = (r: PtrReg): boolean => r.type === "pkt" && r.off === 0 && S.constValue(r.varOff) === 0n;

// `end OP ptr` is `ptr OP' end`.
function mirror(op: JumpCondInstruction["op"]): JumpCondInstruction["op"] {
  switch (op) {
    case "jgt":
      return "jlt";
    case "jlt":
      return "jgt";
    case "jge":
      return "jle";
    case "jle":
      return "jge";
    default:
      return op;
  }
}

// find_good_pkt_pointers: ptr (+ off) <= end (or < end when rightOpen) makes off (or off+1) bytes safe for its whole family.
function findGoodPacketPointers(state: VState, ptr: PtrReg, rightOpen: boolean): void {
  if (ptr.off < 0 || (ptr.off === 0 && rightOpen)) return;
  if (ptr.varOff.umax > BigInt(MAX_PACKET_OFF) || ptr.varOff.umax + BigInt(ptr.off) > BigInt(MAX_PACKET_OFF)) return;
  const newRange = ptr.off + (rightOpen ? 1 : 0);
  const type: PtrType = ptr.type;
  forEachReg(state, (r, replace) => {
    if (r.kind === "ptr" && r.type === type && r.id === ptr.id && r.range < newRange) replace({ ...r, range: newRange });
  });
}
