// Forward abstract interpretation of the IR: the kind and value facts of every
// register (and of 8-byte stack slots holding a spilled register) before
// every instruction. Branches refine scalars the way the verifier does, so an
// edge whose condition cannot hold is found dead and never compiled. Loops
// reach a fixpoint by widening ranges to what the tnum bits say after a few
// visits. Facts from the real verifier, when given, are intersected in.
import { helperPrototype, HelperId } from "../helpers/prototypes.ts";
import { byteSwap, immAsU64 } from "../interp/u64.ts";
import * as S from "../verifier/scalar.ts";
import type { Scalar } from "../verifier/scalar.ts";
import {
  NONE,
  TOP,
  UNKNOWN,
  ZERO_OFFSET,
  constant,
  isPointer,
  joinVal,
  mayBePointer,
  meetScalar,
  sameVal,
  scalar,
  widenVal,
  type AbsVal,
} from "./abstract-value.ts";
import { FRAME_POINTER_REG, REGS_PER_FRAME, frameOf, successors, vreg, type IrBlock, type IrInsn, type IrProgram, type IrTerm, type VReg } from "./ir.ts";
import type { JumpCondInstruction } from "../ebpf/index.ts";

// 8-byte stack slots per frame (512 bytes).
export const STACK_FRAME_BYTES = 512;
const SLOTS_PER_FRAME = STACK_FRAME_BYTES / 8;

export interface AbsState {
  // Indexed by vreg.
  readonly regs: readonly AbsVal[];
  // frame * 64 + slot (slot 0 covers bytes -512..-505 of the frame) -> what an 8-byte store left there.
  readonly slots: ReadonlyMap<number, AbsVal>;
}

// What the real verifier proved, when it has run: a scalar fact per (pc, eBPF register).
export interface VerifierFacts {
  scalarAt(pc: number, reg: number): Scalar | undefined;
  // The verifier's stack depth of the function starting at `functionPc` (the kernel's
  // subprog stack_depth: the deepest byte below r10 any access of it reaches).
  stackDepthBytes?(functionPc: number): number | undefined;
}

export interface Analysis {
  // State before each instruction of a block (index insns.length: before the terminator); undefined: unreachable.
  readonly before: readonly (readonly AbsState[] | undefined)[];
  // Edges proven never taken: `${from}>${to}`.
  readonly deadEdges: ReadonlySet<string>;
  readonly reachable: readonly boolean[];
}

const slotKey = (frame: number, off: number): number => frame * SLOTS_PER_FRAME + Math.floor((off + STACK_FRAME_BYTES) / 8);
export const slotFrame = (key: number): number => Math.floor(key / SLOTS_PER_FRAME);
// The offset from the frame's top of the slot's first byte.
export const slotOffset = (key: number): number => (key % SLOTS_PER_FRAME) * 8 - STACK_FRAME_BYTES;

// As the interpreter starts: r1 the context, r10 the frame pointer, every other register 0.
function entryState(regCount: number): AbsState {
  const regs: AbsVal[] = new Array(regCount).fill(NONE);
  for (let r = 0; r < FRAME_POINTER_REG; r++) regs[vreg(0, r)] = constant(0n);
  regs[vreg(0, 1)] = { k: "ctx" };
  regs[vreg(0, FRAME_POINTER_REG)] = { k: "stack", frame: 0, off: ZERO_OFFSET };
  return { regs, slots: new Map() };
}

// old joined with new; with `widen`, a value that still changes is widened so loops converge fast.
function joinState(old: AbsState, next: AbsState, widen: boolean): AbsState {
  const merge = (v: AbsVal, w: AbsVal): AbsVal => {
    const j = joinVal(v, w);
    return widen && !sameVal(j, v) ? widenVal(j) : j;
  };
  const regs = old.regs.map((v, i) => merge(v, next.regs[i]));
  const slots = new Map<number, AbsVal>();
  for (const [k, v] of old.slots) {
    const w = next.slots.get(k);
    if (w !== undefined) slots.set(k, merge(v, w));
    else if (mayBePointer(v)) slots.set(k, TOP);
  }
  // A pointer spilled on one path only: the slot's bytes may be a pointer's, which host exits and partial accesses must know.
  for (const [k, w] of next.slots) if (!old.slots.has(k) && mayBePointer(w)) slots.set(k, TOP);
  return { regs, slots };
}

function sameState(a: AbsState, b: AbsState): boolean {
  if (a.slots.size !== b.slots.size) return false;
  for (let i = 0; i < a.regs.length; i++) if (!sameVal(a.regs[i], b.regs[i])) return false;
  for (const [k, v] of a.slots) {
    const w = b.slots.get(k);
    if (w === undefined || !sameVal(v, w)) return false;
  }
  return true;
}

const cmpName: Readonly<Record<JumpCondInstruction["op"], S.CmpName>> = {
  jeq: "eq", jne: "ne", jgt: "gt", jge: "ge", jlt: "lt", jle: "le", jsgt: "sgt", jsge: "sge", jslt: "slt", jsle: "sle", jset: "set",
};

const asScalar = (v: AbsVal): Scalar => (v.k === "scalar" ? v.s : S.unknown);

// The constant stack offset an access through `base` + off touches, if known.
export function stackOffset(base: AbsVal, off: number): number | undefined {
  if (base.k !== "stack") return undefined;
  const c = S.constValue(base.off);
  return c === undefined ? undefined : Number(BigInt.asIntN(64, c)) + off;
}

// The value a load of `bytes` gives when nothing more is known.
function loaded(bytes: number, signed: boolean): AbsVal {
  if (bytes === 8) return UNKNOWN;
  const max = (1n << BigInt(bytes * 8)) - 1n;
  return scalar(signed ? S.extend(S.unsignedRange(0n, max), bytes as 1 | 2 | 4, true) : S.unsignedRange(0n, max));
}

class Interpreter {
  regs: AbsVal[];
  slots: Map<number, AbsVal>;

  constructor(state: AbsState) {
    this.regs = [...state.regs];
    this.slots = new Map(state.slots);
  }

  snapshot(): AbsState {
    return { regs: [...this.regs], slots: new Map(this.slots) };
  }

  private clobberSlots(frame: number, from: number | undefined, bytes: number): void {
    for (const key of [...this.slots.keys()]) {
      if (slotFrame(key) !== frame) continue;
      if (from === undefined) {
        this.slots.delete(key);
        continue;
      }
      const slotStart = slotOffset(key);
      if (slotStart < from + bytes && from < slotStart + 8) this.slots.delete(key);
    }
  }

  private store(base: AbsVal, off: number, bytes: number, value: AbsVal): void {
    if (base.k !== "stack") return;
    const at = stackOffset(base, off);
    this.clobberSlots(base.frame, at, bytes);
    if (at !== undefined && bytes === 8 && at % 8 === 0 && at >= -STACK_FRAME_BYTES && at < 0) this.slots.set(slotKey(base.frame, at), value);
  }

  private load(base: AbsVal, off: number, bytes: number, signed: boolean): AbsVal {
    switch (base.k) {
      case "stack": {
        const at = stackOffset(base, off);
        if (at !== undefined && bytes === 8 && at % 8 === 0) return this.slots.get(slotKey(base.frame, at)) ?? UNKNOWN;
        return loaded(bytes, signed);
      }
      case "ctx":
        // xdp_md: data, data_end and data_meta are packet pointers (net/core/filter.c xdp_convert_ctx_access).
        if (bytes === 4 && off === 0) return { k: "packet", base: "data", off: ZERO_OFFSET };
        if (bytes === 4 && off === 4) return { k: "packet", base: "end", off: ZERO_OFFSET };
        if (bytes === 4 && off === 8) return { k: "packet", base: "meta", off: ZERO_OFFSET };
        return loaded(4, false);
      default:
        return loaded(bytes, signed);
    }
  }

  private alu(insn: IrInsn & { kind: "op" }): void {
    const f = insn.form;
    const r = this.regs;
    switch (f.kind) {
      case "alu": {
        const src: AbsVal = f.source === "reg" ? r[f.src] : constant(immAsU64(f.imm));
        const dst = r[f.dst];
        if (f.op === "mov") {
          r[f.dst] = f.width === 64 ? src : src.k === "scalar" ? scalar(S.zeroExtend32(src.s)) : UNKNOWN;
          return;
        }
        if (f.width === 64 && (f.op === "add" || f.op === "sub")) {
          if (isOffsetPointer(dst) && src.k === "scalar") {
            r[f.dst] = { ...dst, off: S.alu(f.op, 64, dst.off, src.s) } as AbsVal;
            return;
          }
          if (f.op === "add" && dst.k === "scalar" && isOffsetPointer(src)) {
            r[f.dst] = { ...src, off: S.alu("add", 64, src.off, dst.s) } as AbsVal;
            return;
          }
          if (f.op === "sub") {
            const diff = pointerDifference(dst, src);
            if (diff) {
              r[f.dst] = scalar(diff);
              return;
            }
          }
        }
        if (dst.k === "scalar" && src.k === "scalar") {
          r[f.dst] = scalar(S.alu(f.op, f.width, dst.s, src.s));
          return;
        }
        r[f.dst] = UNKNOWN;
        return;
      }
      case "neg": {
        const d = r[f.dst];
        r[f.dst] = d.k === "scalar" ? scalar(S.alu("neg", f.width, d.s, d.s)) : UNKNOWN;
        return;
      }
      case "movsx": {
        const s = r[f.src];
        if (s.k !== "scalar") {
          r[f.dst] = UNKNOWN;
          return;
        }
        const ext = S.extend(s.s, (f.fromBits / 8) as 1 | 2 | 4, true);
        r[f.dst] = scalar(f.width === 32 ? S.zeroExtend32(ext) : ext);
        return;
      }
      case "endian": {
        const d = r[f.dst];
        const c = d.k === "scalar" ? S.constValue(d.s) : undefined;
        const low = (1n << BigInt(f.bits)) - 1n;
        if (c !== undefined) {
          const v = c & low;
          r[f.dst] = constant(f.op === "le" ? v : byteSwap(v, f.bits));
        } else if (f.op === "le" && d.k === "scalar") r[f.dst] = scalar(S.alu("and", 64, d.s, S.constant(low)));
        else r[f.dst] = f.bits === 64 ? UNKNOWN : scalar(S.unsignedRange(0n, low));
        return;
      }
      case "load":
        r[f.dst] = this.load(r[f.src], f.off, f.sizeBytes, f.signed);
        return;
      case "storeImm":
        this.store(r[f.dst], f.off, f.sizeBytes, constant(immAsU64(f.imm)));
        return;
      case "storeReg":
        this.store(r[f.dst], f.off, f.sizeBytes, r[f.src]);
        return;
      case "atomic": {
        const old = this.load(r[f.dst], f.off, f.sizeBytes, false);
        this.store(r[f.dst], f.off, f.sizeBytes, UNKNOWN);
        if (f.op === "cmpxchg") r[vreg(frameOf(f.dst), 0)] = old.k === "scalar" ? old : UNKNOWN;
        else if (f.fetch) r[f.src] = old.k === "scalar" ? old : UNKNOWN;
        return;
      }
      case "lddw":
        switch (f.pseudo) {
          case "imm64":
            r[f.dst] = constant((BigInt(f.nextImm >>> 0) << 32n) | BigInt(f.imm >>> 0));
            return;
          case "mapFd":
          case "mapIdx":
            r[f.dst] = { k: "map", map: f.imm };
            return;
          case "mapValue":
          case "mapIdxValue":
            r[f.dst] = { k: "value", map: f.imm, off: S.constant(BigInt(f.nextImm >>> 0)), maybeNull: false };
            return;
          default:
            r[f.dst] = TOP;
            return;
        }
    }
  }

  private helper(insn: IrInsn & { kind: "helper" }): void {
    const r = this.regs;
    const proto = helperPrototype(insn.helperId);
    const frame = frameOf(insn.ret);
    // Memory the helper may write: stack slots it covers lose what they held.
    for (const w of helperStackWrites(insn, r)) this.clobberSlots(w.frame, w.at, w.bytes);
    if (insn.helperId === HelperId.MAP_LOOKUP_ELEM || insn.helperId === HelperId.MAP_LOOKUP_PERCPU_ELEM) {
      const m = r[insn.args[0]];
      r[insn.ret] = m.k === "map" ? { k: "value", map: m.map, off: ZERO_OFFSET, maybeNull: true } : TOP;
    } else if (proto && proto.ret.type !== "RET_INTEGER" && proto.ret.type !== "RET_VOID") r[insn.ret] = TOP;
    else r[insn.ret] = UNKNOWN;
    // Packet pointers are no longer valid pointers (the kernel makes them unknown scalars), yet their
    // values are still addresses, which differ on the NIC: TOP keeps any use of them off the card.
    if (changesPacketData(insn.helperId)) {
      for (let i = 0; i < r.length; i++) if (r[i].k === "packet") r[i] = TOP;
      for (const [k, v] of this.slots) if (v.k === "packet") this.slots.set(k, TOP);
    }
    void frame;
  }

  step(insn: IrInsn): void {
    switch (insn.kind) {
      case "op":
        this.alu(insn);
        return;
      case "helper":
        this.helper(insn);
        return;
      case "call": {
        const f = insn.calleeFrame;
        // A new frame starts with zeroed registers (the interpreter's newRegisters); r1..r5 are copied in next.
        for (let reg = 0; reg < REGS_PER_FRAME; reg++) this.regs[vreg(f, reg)] = reg < FRAME_POINTER_REG ? constant(0n) : NONE;
        this.regs[vreg(f, FRAME_POINTER_REG)] = { k: "stack", frame: f, off: ZERO_OFFSET };
        this.clobberSlots(f, undefined, 0);
        return;
      }
      case "opaque":
        // Only the host runs it; what follows it is reached on the host.
        for (let reg = 0; reg < FRAME_POINTER_REG; reg++) this.regs[vreg(insn.origin.frame, reg)] = TOP;
        return;
    }
  }
}

// The packet data is at most 64 KiB (an XDP frame is one page; the NIC's largest frame is far below this).
const PACKET_LENGTH_MAX = 0xffffn;

// p - q for two pointers into the same object: offsets subtract; data_end - data is the packet length.
function pointerDifference(p: AbsVal, q: AbsVal): Scalar | undefined {
  if (p.k === "stack" && q.k === "stack" && p.frame === q.frame) return S.alu("sub", 64, p.off, q.off);
  if (p.k === "value" && q.k === "value" && p.map === q.map) return S.alu("sub", 64, p.off, q.off);
  if (p.k !== "packet" || q.k !== "packet") return undefined;
  const offsets = S.alu("sub", 64, p.off, q.off);
  if (p.base === q.base) return offsets;
  if (p.base === "end" && q.base === "data") return S.alu("add", 64, S.unsignedRange(0n, PACKET_LENGTH_MAX), offsets);
  return S.unknown;
}

const isOffsetPointer = (v: AbsVal): v is AbsVal & { off: Scalar } => v.k === "stack" || v.k === "packet" || v.k === "value";

// Stack memory a helper may write through its arguments: `at` undefined when the offset or size is not known.
export function helperStackWrites(insn: IrInsn & { kind: "helper" }, regs: readonly AbsVal[]): { frame: number; at: number | undefined; bytes: number }[] {
  const out: { frame: number; at: number | undefined; bytes: number }[] = [];
  helperPrototype(insn.helperId)?.args.forEach((arg, i) => {
    if (i >= insn.args.length) return;
    const writes = arg.flags?.includes("MEM_WRITE") || arg.flags?.includes("MEM_UNINIT");
    const p = regs[insn.args[i]];
    if (!writes || p.k !== "stack") return;
    const size = arg.sizeBytes ?? sizeArg(regs, insn.args[i + 1]);
    out.push({ frame: p.frame, at: size === undefined ? undefined : stackOffset(p, 0), bytes: size ?? 0 });
  });
  return out;
}

function sizeArg(regs: readonly AbsVal[], v: VReg | undefined): number | undefined {
  if (v === undefined) return undefined;
  const a = regs[v];
  const c = a.k === "scalar" ? S.constValue(a.s) : undefined;
  return c === undefined || c > 512n ? undefined : Number(c);
}

// The helpers after which packet pointers are invalid (kernel: bpf_helper_changes_pkt_data).
export function changesPacketData(helperId: number): boolean {
  return helperId === HelperId.XDP_ADJUST_HEAD || helperId === HelperId.XDP_ADJUST_TAIL || helperId === HelperId.XDP_ADJUST_META;
}

// The states on the two edges of a branch; undefined for an edge that cannot be taken.
function branchStates(term: IrTerm & { kind: "branch" }, state: AbsState): [AbsState | undefined, AbsState | undefined] {
  const c = term.cond;
  const a = state.regs[c.dst];
  const b: AbsVal = c.source === "reg" ? state.regs[c.src] : constant(immAsU64(c.imm));
  const edge = (taken: boolean): AbsState | undefined => {
    if (c.source === "reg" && c.src === c.dst) return state;
    if (a.k === "scalar" && b.k === "scalar") {
      const refined = S.refine(cmpName[c.op], c.width, a.s, b.s, taken);
      if (!refined) return undefined;
      const regs = [...state.regs];
      regs[c.dst] = scalar(refined[0]);
      if (c.source === "reg") regs[c.src] = scalar(refined[1]);
      return { regs, slots: state.slots };
    }
    // A map value pointer tested against NULL.
    if (c.width === 64 && (c.op === "jeq" || c.op === "jne") && (a.k === "value" || a.k === "packet") && b.k === "scalar" && S.constValue(b.s) === 0n) {
      const isNull = (c.op === "jeq") === taken;
      if (isNull && !a.maybeNull) return undefined;
      const regs = [...state.regs];
      regs[c.dst] = isNull ? constant(0n) : { ...a, maybeNull: false };
      return { regs, slots: state.slots };
    }
    return state;
  };
  return [edge(true), edge(false)];
}

const WIDEN_AFTER_VISITS = 4;

export function analyze(program: IrProgram, verifier?: VerifierFacts): Analysis {
  const regCount = program.frames.length * REGS_PER_FRAME;
  const n = program.blocks.length;
  const entry: (AbsState | undefined)[] = new Array(n).fill(undefined);
  const visits = new Uint16Array(n);
  const deadEdges = new Set<string>();
  entry[0] = entryState(regCount);
  const work = [0];
  const queued = new Uint8Array(n);
  queued[0] = 1;
  const flow = (from: number, to: number, state: AbsState): void => {
    const old = entry[to];
    const next = old ? joinState(old, state, visits[to] >= WIDEN_AFTER_VISITS) : state;
    if (old && sameState(old, next)) return;
    entry[to] = next;
    if (!queued[to]) {
      queued[to] = 1;
      work.push(to);
    }
    void from;
  };
  while (work.length) {
    // Lowest block id first keeps loops tight (ids follow discovery order).
    work.sort((x, y) => y - x);
    const id = work.pop()!;
    queued[id] = 0;
    visits[id]++;
    const block = program.blocks[id];
    const out = runBlock(block, entry[id]!, verifier).after;
    propagate(block, out, flow);
  }
  // Final pass: per-instruction states and the dead edges.
  const before: (AbsState[] | undefined)[] = new Array(n).fill(undefined);
  const reachable = entry.map((s) => s !== undefined);
  for (let id = 0; id < n; id++) {
    const state = entry[id];
    if (!state) continue;
    const block = program.blocks[id];
    const run = runBlock(block, state, verifier);
    before[id] = run.states;
    if (block.term.kind === "branch") {
      const [t, f] = branchStates(block.term, run.after);
      // Both edges into one block: dead only when neither can be taken.
      const same = block.term.taken === block.term.fallthrough;
      if (!t && (!same || !f)) deadEdges.add(`${id}>${block.term.taken}`);
      if (!f && (!same || !t)) deadEdges.add(`${id}>${block.term.fallthrough}`);
    }
  }
  return { before, deadEdges, reachable };
}

function propagate(block: IrBlock, out: AbsState, flow: (from: number, to: number, s: AbsState) => void): void {
  const term = block.term;
  if (term.kind === "branch") {
    const [t, f] = branchStates(term, out);
    if (t) flow(block.id, term.taken, t);
    if (f) flow(block.id, term.fallthrough, f);
    return;
  }
  for (const s of successors(term)) flow(block.id, s, out);
}

function refineWithVerifier(state: AbsState, pc: number, frame: number, verifier: VerifierFacts | undefined): AbsState {
  if (!verifier) return state;
  let regs: AbsVal[] | undefined;
  for (let reg = 0; reg < FRAME_POINTER_REG; reg++) {
    const fact = verifier.scalarAt(pc, reg);
    const v = state.regs[vreg(frame, reg)];
    if (fact && v.k === "scalar") {
      regs ??= [...state.regs];
      regs[vreg(frame, reg)] = scalar(meetScalar(v.s, fact));
    }
  }
  return regs ? { regs, slots: state.slots } : state;
}

function runBlock(block: IrBlock, start: AbsState, verifier: VerifierFacts | undefined): { states: AbsState[]; after: AbsState } {
  const states: AbsState[] = [];
  let state = start;
  let interp: Interpreter | undefined;
  for (const insn of block.insns) {
    const before = interp ? interp.snapshot() : state;
    state = refineWithVerifier(before, insn.origin.pc, insn.origin.frame, verifier);
    states.push(state);
    // The interpreter goes on from its own copy; only registers the verifier narrowed are taken back.
    if (!interp) interp = new Interpreter(state);
    else if (state !== before) interp.regs = [...state.regs];
    interp.step(insn);
  }
  let after = interp ? interp.snapshot() : state;
  if (block.term.kind === "branch" || block.term.kind === "exit") after = refineWithVerifier(after, block.term.origin.pc, block.term.origin.frame, verifier);
  states.push(after);
  return { states, after };
}

export { isPointer };
