// Precision backtracking (kernel/bpf/verifier.c mark_chain_precision,
// backtrack_insn, propagate_precision, mark_all_scalars_precise). A scalar is
// "precise" in an explored state when some check after that state depended
// on its value: pointer arithmetic, a helper's size, a branch the ranges
// decided, a zero written to the stack... Pruning (prune.ts) compares only
// precise scalars by value; any other scalar of an old state accepts any
// scalar. When a check needs a value, the registers and stack slots it came
// from are found by walking the instructions of the current path backwards
// (its history since the last checkpoint, then each checkpoint's own), and
// marked in every checkpoint on the way until nothing new is marked.
//
// Where the kernel's rules are subtle this is more conservative: any step it
// cannot follow (an atomic's loaded value, a slot written by a helper, a
// register that cannot be live across a call) marks every scalar of every
// checkpoint on the path precise, as the kernel's own fallback does.
import type { Instruction } from "../ebpf/describe.ts";
import { FRAME_POINTER } from "../ebpf/opcode.ts";
import { MAX_CALL_FRAMES } from "./env.ts";
import type { RegState, ScalarReg } from "./reg-state.ts";
import { SLOT_BYTES, STACK_SLOTS, StackByte, ownStack } from "./state.ts";
import type { VState } from "./state.ts";

const bit = (r: number): number => 1 << r;
const ARGS = bit(1) | bit(2) | bit(3) | bit(4) | bit(5);
// bpf_loop and bpf_for_each_map_elem pass their r3 (callback_ctx) on as one of the callback's arguments.
const CALLBACK_CTX_REG = 3;

// A fixed-offset access of a stack slot: the frame (index in VState.frames) and the slot (8 bytes, 0 = fp-8).
export interface SlotRef {
  readonly frame: number;
  readonly slot: number;
}

// One executed instruction of a path, newest first (a persistent list: branches share their past).
export interface HistoryEntry {
  readonly pc: number;
  // Index of the frame the instruction ran in (frames.length - 1).
  readonly depth: number;
  readonly prev: HistoryEntry | undefined;
  // A load or store at a fixed stack offset; for loads, whether the slot held a spilled register.
  stack?: SlotRef & { readonly spill: boolean };
  // A conditional jump: registers and slots that shared an id with its operands (sync_linked_regs).
  linked?: readonly LinkedGroup[];
  // This exit left a callback frame (the helper call runs again; r0 is not passed to the caller).
  callbackExit?: boolean;
}

export interface LinkedGroup {
  readonly regs: readonly { readonly frame: number; readonly regno: number }[];
  readonly slots: readonly SlotRef[];
}

// The registers and slots, per frame, whose value before the instruction being walked must be known.
export class Demand {
  readonly regs = new Int32Array(MAX_CALL_FRAMES);
  // 64 slots per frame as two 32-bit masks: slots 0-31 at 2 * frame, 32-63 at 2 * frame + 1.
  readonly slots = new Int32Array(2 * MAX_CALL_FRAMES);

  addReg(frame: number, regno: number): void {
    if (regno !== FRAME_POINTER) this.regs[frame] |= bit(regno);
  }
  hasReg(frame: number, regno: number): boolean {
    return ((this.regs[frame] >> regno) & 1) === 1;
  }
  clearReg(frame: number, regno: number): void {
    this.regs[frame] &= ~bit(regno);
  }
  addSlot(frame: number, slot: number): void {
    this.slots[2 * frame + (slot >> 5)] |= 1 << (slot & 31);
  }
  hasSlot(frame: number, slot: number): boolean {
    return ((this.slots[2 * frame + (slot >> 5)] >>> (slot & 31)) & 1) === 1;
  }
  clearSlot(frame: number, slot: number): void {
    this.slots[2 * frame + (slot >> 5)] &= ~(1 << (slot & 31));
  }
  hasSlots(frame: number): boolean {
    return this.slots[2 * frame] !== 0 || this.slots[2 * frame + 1] !== 0;
  }
  clearFrame(frame: number): void {
    this.regs[frame] = 0;
    this.slots[2 * frame] = 0;
    this.slots[2 * frame + 1] = 0;
  }
  clear(): void {
    this.regs.fill(0);
    this.slots.fill(0);
  }
  isEmpty(): boolean {
    for (let f = 0; f < MAX_CALL_FRAMES; f++) if (this.regs[f] !== 0 || this.hasSlots(f)) return false;
    return true;
  }
}

// What backtrack_insn concludes: go on, or give up (the caller then marks everything precise).
export type StepResult = "ok" | "giveUp";

// Walk one instruction backwards: `demand` holds what is needed after it (in the frame layout after it, whose
// innermost frame is `nextDepth`), and afterwards what is needed before it.
export function backtrackEntry(form: Instruction | undefined, e: HistoryEntry, nextDepth: number, demand: Demand): StepResult {
  const d = e.depth;
  if (form === undefined) return "giveUp";
  if (nextDepth > d) return backtrackIntoCaller(form, d, demand);
  if (nextDepth < d) {
    // The callee's exit, walked backwards: the caller's r0 is the callee's r0 (a callback's r0 is not passed).
    if (form.kind !== "exit") return "giveUp";
    if (!e.callbackExit && demand.hasReg(d - 1, 0)) {
      demand.clearReg(d - 1, 0);
      demand.addReg(d, 0);
    }
    return "ok";
  }
  syncLinked(e, demand);
  const result = backtrackSameFrame(form, e, d, demand);
  syncLinked(e, demand);
  return result;
}

// Walking backwards out of a callee's first instruction into the call: its arguments are the caller's registers.
function backtrackIntoCaller(form: Instruction, d: number, demand: Demand): StepResult {
  const callee = demand.regs[d + 1];
  if (demand.hasSlots(d + 1) || (callee & ~ARGS) !== 0) return "giveUp";
  if (form.kind === "callLocal") demand.regs[d] |= callee;
  else if (form.kind === "callHelper") {
    if (callee !== 0) demand.addReg(d, CALLBACK_CTX_REG);
  } else return "giveUp";
  demand.clearFrame(d + 1);
  return "ok";
}

function backtrackSameFrame(form: Instruction, e: HistoryEntry, d: number, demand: Demand): StepResult {
  switch (form.kind) {
    case "alu":
      if (!demand.hasReg(d, form.dst)) return "ok";
      if (form.op === "mov") {
        demand.clearReg(d, form.dst);
        if (form.source === "reg") demand.addReg(d, form.src);
      } else if (form.source === "reg") {
        demand.addReg(d, form.src);
      }
      return "ok";
    case "neg":
    case "endian":
      return "ok";
    case "movsx":
      if (!demand.hasReg(d, form.dst)) return "ok";
      demand.clearReg(d, form.dst);
      demand.addReg(d, form.src);
      return "ok";
    case "lddw":
      demand.clearReg(d, form.dst);
      return "ok";
    case "load":
      if (!demand.hasReg(d, form.dst)) return "ok";
      demand.clearReg(d, form.dst);
      // A fill brings the spilled register back; any other load gives an unknown value or the zeros of
      // STACK_ZERO bytes, which were written precisely.
      if (e.stack?.spill) demand.addSlot(e.stack.frame, e.stack.slot);
      return "ok";
    case "storeReg":
    case "storeImm": {
      const slot = e.stack;
      if (slot === undefined || !demand.hasSlot(slot.frame, slot.slot)) return "ok";
      // The slot held a spill when it was read later, so this store made it: the spill of the source register.
      if (!slot.spill) return "giveUp";
      demand.clearSlot(slot.frame, slot.slot);
      if (form.kind === "storeReg") demand.addReg(d, form.src);
      return "ok";
    }
    case "atomic": {
      const loaded = form.op === "cmpxchg" ? 0 : form.fetch ? form.src : -1;
      if (loaded >= 0 && demand.hasReg(d, loaded)) return "giveUp";
      if (e.stack !== undefined && demand.hasSlot(e.stack.frame, e.stack.slot)) return "giveUp";
      return "ok";
    }
    case "jcond":
      // dst <cond> src: when either must be precise, both must (the comparison refined both).
      if (form.source === "reg" && (demand.hasReg(d, form.dst) || demand.hasReg(d, form.src))) {
        demand.addReg(d, form.dst);
        demand.addReg(d, form.src);
      }
      return "ok";
    case "ja":
      return "ok";
    case "callHelper":
    case "callLocal":
      // A helper (or a global function, checked without entering it) sets r0 from nothing the program chose
      // by value; r1-r5 are dead after the call, so nothing can need them.
      demand.clearReg(d, 0);
      if ((demand.regs[d] & ARGS) !== 0) return "giveUp";
      if (e.stack !== undefined) return "giveUp";
      return "ok";
    case "exit":
    case "callKfunc":
    case "callx":
    case "ldLegacy":
      return "giveUp";
  }
}

// bt_sync_linked_regs: a register refined together with others by a comparison needs them all, and they it.
function syncLinked(e: HistoryEntry, demand: Demand): void {
  if (e.linked === undefined) return;
  for (const group of e.linked) {
    const needed = group.regs.some((r) => demand.hasReg(r.frame, r.regno)) || group.slots.some((s) => demand.hasSlot(s.frame, s.slot));
    if (!needed) continue;
    for (const r of group.regs) demand.addReg(r.frame, r.regno);
    for (const s of group.slots) demand.addSlot(s.frame, s.slot);
  }
}

const precise = (r: ScalarReg): ScalarReg => ({ ...r, precise: true });

// Mark what `demand` names as precise in a checkpoint's state. What was already precise there was already
// followed further back, and non-scalars need no precision: both leave the demand.
export function markInState(state: VState, demand: Demand): void {
  for (let f = 0; f < MAX_CALL_FRAMES; f++) {
    const hasSlots = demand.hasSlots(f);
    if (demand.regs[f] === 0 && !hasSlots) continue;
    const frame = state.frames[f];
    if (frame === undefined) {
      demand.clearFrame(f);
      continue;
    }
    for (let r = 0; r < frame.regs.length; r++) {
      if (!demand.hasReg(f, r)) continue;
      const reg = frame.regs[r];
      if (reg.kind !== "scalar" || reg.precise === true) demand.clearReg(f, r);
      else frame.regs[r] = precise(reg);
    }
    for (let slot = 0; hasSlots && slot < STACK_SLOTS; slot++) {
      if (!demand.hasSlot(f, slot)) continue;
      const spilled = frame.stack[slot * SLOT_BYTES + SLOT_BYTES - 1] === StackByte.SPILL ? frame.spills[slot] : undefined;
      if (spilled?.kind !== "scalar" || spilled.precise === true) demand.clearSlot(f, slot);
      else {
        ownStack(frame);
        frame.spills[slot] = precise(spilled);
      }
    }
  }
}

// mark_all_scalars_precise: every scalar, in registers and spilled, of one state.
export function markAllInState(state: VState): void {
  for (const frame of state.frames) {
    frame.regs = frame.regs.map((r: RegState) => (r.kind === "scalar" && r.precise !== true ? precise(r) : r));
    frame.spills = frame.spills.map((r) => (r?.kind === "scalar" && r.precise !== true ? precise(r) : r));
  }
}

// propagate_precision: what an old state needed precise, the state pruned against it needs too (live registers only).
export function demandOfPrecise(old: VState, liveRegs: ArrayLike<number>): Demand {
  const demand = new Demand();
  old.frames.forEach((frame, f) => {
    const live = liveRegs[f];
    frame.regs.forEach((r, regno) => {
      if (r.kind === "scalar" && r.precise === true && ((live >> regno) & 1) === 1) demand.addReg(f, regno);
    });
    for (let slot = 0; slot < STACK_SLOTS; slot++) {
      const spilled = frame.spills[slot];
      if (spilled?.kind === "scalar" && spilled.precise === true && frame.stack[slot * SLOT_BYTES + SLOT_BYTES - 1] === StackByte.SPILL) demand.addSlot(f, slot);
    }
  });
  return demand;
}
