// Backward liveness of the IR: which virtual registers and which stack bytes
// may still be read. It decides what a stage hands over to the next one (or to
// the host): registers by use and definition, stack bytes by the accesses the
// abstract interpretation resolved (a load, a helper reading a key or a
// buffer), with a whole frame live when an access has an unknown offset.
import { helperPrototype, HelperId } from "../helpers/prototypes.ts";
import type { MapDef } from "../maps/types.ts";
import * as S from "../verifier/scalar.ts";
import type { AbsVal } from "./abstract-value.ts";
import { STACK_FRAME_BYTES, stackOffset, type Analysis, type AbsState } from "./analysis.ts";
import { defsOf, helperArgCount, termUses, usesOf } from "./ir-uses.ts";
import { successors, type IrBlock, type IrInsn, type IrProgram, type VReg } from "./ir.ts";

const ALL_BYTES = (1n << BigInt(STACK_FRAME_BYTES)) - 1n;

// Bit i of a frame's mask stands for the byte at offset i - 512 from the frame's top.
export function byteRange(off: number, bytes: number): bigint {
  const lo = Math.max(0, off + STACK_FRAME_BYTES);
  const hi = Math.min(STACK_FRAME_BYTES, off + STACK_FRAME_BYTES + bytes);
  if (hi <= lo) return 0n;
  return ((1n << BigInt(hi - lo)) - 1n) << BigInt(lo);
}

export interface LiveSet {
  readonly regs: ReadonlySet<VReg>;
  // Per frame: live stack bytes.
  readonly stack: readonly bigint[];
}

export interface Liveness {
  readonly liveIn: readonly LiveSet[];
  readonly liveOut: readonly LiveSet[];
  // Live before instruction i of a block (i = insns.length: before the terminator).
  liveBefore(block: number, index: number): LiveSet;
}

interface StackAccess {
  readonly frame: number;
  // Bytes touched, or undefined for the whole frame.
  readonly mask: bigint | undefined;
}

function access(base: AbsVal, off: number, bytes: number): StackAccess | undefined {
  if (base.k !== "stack") return undefined;
  const at = stackOffset(base, off);
  return { frame: base.frame, mask: at === undefined ? undefined : byteRange(at, bytes) };
}

function constSize(v: AbsVal | undefined): number | undefined {
  if (!v || v.k !== "scalar") return undefined;
  const c = S.constValue(v.s);
  return c === undefined || c > BigInt(STACK_FRAME_BYTES) ? undefined : Number(c);
}

// Stack bytes an instruction reads and the ones it certainly overwrites.
export function stackEffects(insn: IrInsn, state: AbsState, maps: readonly MapDef[], frames: number): { reads: StackAccess[]; writes: StackAccess[] } {
  const reads: StackAccess[] = [];
  const writes: StackAccess[] = [];
  const r = state.regs;
  const add = (list: StackAccess[], a: StackAccess | undefined): void => {
    if (a) list.push(a);
  };
  switch (insn.kind) {
    case "op": {
      const f = insn.form;
      if (f.kind === "load") add(reads, access(r[f.src], f.off, f.sizeBytes));
      else if (f.kind === "storeImm" || f.kind === "storeReg") {
        const a = access(r[f.dst], f.off, f.sizeBytes);
        if (a?.mask !== undefined) writes.push(a);
      } else if (f.kind === "atomic") add(reads, access(r[f.dst], f.off, f.sizeBytes));
      break;
    }
    case "helper": {
      const proto = helperPrototype(insn.helperId);
      const mapArg = r[insn.args[0]];
      const map = mapArg?.k === "map" ? maps[mapArg.map] : undefined;
      insn.args.slice(0, helperArgCount(insn.helperId)).forEach((arg, i) => {
        const p = r[arg];
        if (p.k !== "stack") return;
        const type = proto?.args[i];
        if (!type) {
          reads.push({ frame: p.frame, mask: undefined });
          return;
        }
        if (type.flags?.includes("MEM_UNINIT")) return;
        let size: number | undefined;
        switch (type.type) {
          case "ARG_PTR_TO_MAP_KEY":
            size = map?.keySize;
            break;
          case "ARG_PTR_TO_MAP_VALUE":
            size = map?.valueSize;
            break;
          case "ARG_PTR_TO_FIXED_SIZE_MEM":
            size = type.sizeBytes;
            break;
          case "ARG_PTR_TO_MEM":
            size = constSize(r[insn.args[i + 1]]);
            break;
          default:
            size = undefined;
        }
        reads.push(size === undefined ? { frame: p.frame, mask: undefined } : access(p, 0, size)!);
      });
      // bpf_tail_call continues in another program that may read any of the caller's stack.
      if (insn.helperId === HelperId.TAIL_CALL) reads.push({ frame: insn.origin.frame, mask: undefined });
      break;
    }
    case "call":
      // The callee's frame starts fresh: nothing in it is live before the call.
      writes.push({ frame: insn.calleeFrame, mask: ALL_BYTES });
      break;
    case "opaque":
      for (let f = 0; f < frames; f++) reads.push({ frame: f, mask: undefined });
      break;
  }
  return { reads, writes };
}

class Live {
  regs: Set<VReg>;
  stack: bigint[];
  constructor(from: LiveSet) {
    this.regs = new Set(from.regs);
    this.stack = [...from.stack];
  }
  freeze(): LiveSet {
    return { regs: new Set(this.regs), stack: [...this.stack] };
  }
  // Backward step over one instruction.
  stepBack(insn: IrInsn, state: AbsState, maps: readonly MapDef[]): void {
    for (const d of defsOf(insn)) this.regs.delete(d);
    for (const u of usesOf(insn)) this.regs.add(u);
    const { reads, writes } = stackEffects(insn, state, maps, this.stack.length);
    for (const w of writes) if (w.mask !== undefined) this.stack[w.frame] &= ~w.mask;
    for (const rd of reads) this.stack[rd.frame] |= rd.mask ?? ALL_BYTES;
  }
}

const sameSet = (a: LiveSet, b: LiveSet): boolean => {
  if (a.regs.size !== b.regs.size) return false;
  for (const r of a.regs) if (!b.regs.has(r)) return false;
  return a.stack.every((m, i) => m === b.stack[i]);
};

export function computeLiveness(program: IrProgram, analysis: Analysis, maps: readonly MapDef[]): Liveness {
  const frames = program.frames.length;
  const empty: LiveSet = { regs: new Set(), stack: new Array(frames).fill(0n) };
  const n = program.blocks.length;
  const liveIn: LiveSet[] = new Array(n).fill(empty);
  const liveOut: LiveSet[] = new Array(n).fill(empty);
  const succs = program.blocks.map((b) => successors(b.term).filter((s) => !analysis.deadEdges.has(`${b.id}>${s}`)));
  const preds: number[][] = program.blocks.map(() => []);
  succs.forEach((list, b) => list.forEach((s) => preds[s].push(b)));

  const transfer = (block: IrBlock, out: LiveSet): LiveSet => {
    const states = analysis.before[block.id];
    const live = new Live(out);
    for (const u of termUses(block.term)) live.regs.add(u);
    if (!states) return live.freeze();
    for (let i = block.insns.length - 1; i >= 0; i--) live.stepBack(block.insns[i], states[i], maps);
    return live.freeze();
  };

  const work = program.blocks.map((b) => b.id);
  const queued = new Uint8Array(n).fill(1);
  while (work.length) {
    const id = work.pop()!;
    queued[id] = 0;
    const out = new Live(empty);
    for (const s of succs[id]) {
      for (const r of liveIn[s].regs) out.regs.add(r);
      liveIn[s].stack.forEach((m, f) => (out.stack[f] |= m));
    }
    const outSet = out.freeze();
    liveOut[id] = outSet;
    const inSet = transfer(program.blocks[id], outSet);
    if (!sameSet(inSet, liveIn[id])) {
      liveIn[id] = inSet;
      for (const p of preds[id]) {
        if (!queued[p]) {
          queued[p] = 1;
          work.push(p);
        }
      }
    }
  }

  return {
    liveIn,
    liveOut,
    liveBefore(blockId: number, index: number): LiveSet {
      const block = program.blocks[blockId];
      const states = analysis.before[blockId];
      const live = new Live(liveOut[blockId]);
      for (const u of termUses(block.term)) live.regs.add(u);
      if (!states) return live.freeze();
      for (let i = block.insns.length - 1; i >= index; i--) live.stepBack(block.insns[i], states[i], maps);
      return live.freeze();
    },
  };
}
