// Liveness of virtual registers over micro blocks (bit sets indexed by
// vreg - VBASE), and dead-code elimination: an instruction goes when nothing
// reads what it writes, it has no side effect, and no later instruction in
// its block reads the flags it sets.
import { mtermSuccessors, mtermUses, minsnDefs, minsnUses, hasSideEffects, readsFlags, setsFlags, isVirtual, VBASE, type MBlock, type MInsn } from "./micro-ir.ts";

export class BitSet {
  readonly words: Uint32Array;
  constructor(readonly size: number) {
    this.words = new Uint32Array((size + 31) >>> 5);
  }
  has(i: number): boolean {
    return (this.words[i >>> 5] & (1 << (i & 31))) !== 0;
  }
  add(i: number): void {
    this.words[i >>> 5] |= 1 << (i & 31);
  }
  delete(i: number): void {
    this.words[i >>> 5] &= ~(1 << (i & 31));
  }
  // this |= other; true when something changed.
  union(other: BitSet): boolean {
    let changed = false;
    for (let w = 0; w < this.words.length; w++) {
      const v = (this.words[w] | other.words[w]) >>> 0;
      if (v !== this.words[w]) {
        this.words[w] = v;
        changed = true;
      }
    }
    return changed;
  }
  copy(): BitSet {
    const c = new BitSet(this.size);
    c.words.set(this.words);
    return c;
  }
  *[Symbol.iterator](): IterableIterator<number> {
    for (let w = 0; w < this.words.length; w++) {
      let bits = this.words[w];
      while (bits) {
        const low = bits & -bits;
        yield (w << 5) + (31 - Math.clz32(low));
        bits ^= low;
      }
    }
  }
}

export const vIndex = (r: number): number => r - VBASE;

export interface MicroLiveness {
  readonly liveIn: readonly BitSet[];
  readonly liveOut: readonly BitSet[];
}

export function virtualUses(i: MInsn): number[] {
  return minsnUses(i).filter(isVirtual);
}
export function virtualDefs(i: MInsn): number[] {
  return minsnDefs(i).filter(isVirtual);
}

export function microLiveness(blocks: readonly MBlock[], vregCount: number): MicroLiveness {
  const n = blocks.length;
  const size = vregCount - VBASE;
  const use: BitSet[] = [];
  const def: BitSet[] = [];
  for (const b of blocks) {
    const u = new BitSet(size);
    const d = new BitSet(size);
    for (const i of b.insns) {
      for (const r of virtualUses(i)) if (!d.has(vIndex(r))) u.add(vIndex(r));
      for (const r of virtualDefs(i)) d.add(vIndex(r));
    }
    for (const r of mtermUses(b.term)) if (isVirtual(r) && !d.has(vIndex(r))) u.add(vIndex(r));
    use.push(u);
    def.push(d);
  }
  const liveIn = blocks.map(() => new BitSet(size));
  const liveOut = blocks.map(() => new BitSet(size));
  const preds: number[][] = blocks.map(() => []);
  blocks.forEach((b) => mtermSuccessors(b.term).forEach((s) => preds[s].push(b.id)));
  const work = blocks.map((b) => b.id);
  const queued = new Uint8Array(n).fill(1);
  while (work.length) {
    const id = work.pop()!;
    queued[id] = 0;
    const out = liveOut[id];
    for (const s of mtermSuccessors(blocks[id].term)) out.union(liveIn[s]);
    const inn = out.copy();
    for (let w = 0; w < inn.words.length; w++) inn.words[w] = (inn.words[w] & ~def[id].words[w]) | use[id].words[w];
    if (liveIn[id].union(inn)) {
      for (const p of preds[id]) {
        if (!queued[p]) {
          queued[p] = 1;
          work.push(p);
        }
      }
    }
  }
  return { liveIn, liveOut };
}

// True when the flags instruction i sets are read before the next instruction that sets them again.
export function flagsConsumed(block: MBlock, i: number): boolean {
  for (let j = i + 1; j < block.insns.length; j++) {
    const op = block.insns[j].op;
    if (readsFlags(op)) return true;
    if (setsFlags(op)) return false;
  }
  return block.term.kind === "branch";
}

// Removes dead instructions until none is left; returns how many went.
export function eliminateDeadCode(blocks: MBlock[], vregCount: number): number {
  let removed = 0;
  for (;;) {
    const { liveOut } = microLiveness(blocks, vregCount);
    let changed = false;
    for (const b of blocks) {
      const live = liveOut[b.id].copy();
      for (const r of mtermUses(b.term)) if (isVirtual(r)) live.add(vIndex(r));
      const keep: boolean[] = new Array(b.insns.length).fill(true);
      for (let i = b.insns.length - 1; i >= 0; i--) {
        const insn = b.insns[i];
        const defs = minsnDefs(insn);
        const dead =
          !hasSideEffects(insn) &&
          defs.length > 0 &&
          defs.every((d) => isVirtual(d) && !live.has(vIndex(d))) &&
          !(setsFlags(insn.op) && flagsConsumed(b, i));
        if (dead) {
          keep[i] = false;
          changed = true;
          removed++;
          continue;
        }
        for (const d of defs) if (isVirtual(d)) live.delete(vIndex(d));
        for (const u of minsnUses(insn)) if (isVirtual(u)) live.add(vIndex(u));
      }
      if (keep.includes(false)) b.insns = b.insns.filter((_, i) => keep[i]);
    }
    if (!changed) return removed;
  }
}
