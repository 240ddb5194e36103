// Where packets move to the host. A blocked point is moved earlier when a
// register or spilled stack slot there holds a value whose kind differs between
// paths (`top`): the exit's location map gives each live register one kind to
// translate it by (host-resume.ts), and a top one may be a pointer on this
// packet's path and a scalar on another's, which registers and local memory do
// not tell apart. The point moves back one instruction at a time, and to the end
// of the immediate dominator at a block's start (and to the call site when it
// reaches the start of an inlined function), until nothing of the kind is live.
// A live map value pointer no longer moves the point: the host resumes with the
// very value the card's handle stands for (HostHandoff.valueOfHandle, the
// functional runner's handle table), so nothing has to be looked up again.
import { slotFrame, slotOffset } from "./analysis.ts";
import type { FrontEnd } from "./front-end.ts";
import { byteRange } from "./liveness.ts";
import { successors, vreg, type IrProgram } from "./ir.ts";

// Immediate dominators (Cooper, Harvey, Kennedy: "A Simple, Fast Dominance Algorithm").
export function dominators(program: IrProgram, reachable: readonly boolean[]): Int32Array {
  const n = program.blocks.length;
  const order: number[] = [];
  const seen = new Uint8Array(n);
  const stack: [number, number][] = [[0, 0]];
  seen[0] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1];
    const succ = successors(program.blocks[top[0]].term).filter((s) => reachable[s]);
    if (top[1] < succ.length) {
      const s = succ[top[1]++];
      if (!seen[s]) {
        seen[s] = 1;
        stack.push([s, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  const rpo = order.reverse();
  const index = new Int32Array(n).fill(-1);
  rpo.forEach((b, i) => (index[b] = i));
  const preds: number[][] = program.blocks.map(() => []);
  for (const b of rpo) for (const s of successors(program.blocks[b].term)) if (index[s] >= 0) preds[s].push(b);
  const idom = new Int32Array(n).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (index[a] > index[b]) a = idom[a];
      while (index[b] > index[a]) b = idom[b];
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of rpo) {
      if (b === 0) continue;
      let d = -1;
      for (const p of preds[b]) if (idom[p] >= 0) d = d < 0 ? p : intersect(p, d);
      if (d >= 0 && idom[b] !== d) {
        idom[b] = d;
        changed = true;
      }
    }
  }
  return idom;
}

export function hoistHostCuts(fe: FrontEnd, cuts: ReadonlyMap<number, number>): Map<number, number> {
  const { ir, analysis, liveness } = fe;
  const idom = dominators(ir, analysis.reachable);
  const callSites = new Map<number, { block: number; index: number }>();
  ir.blocks.forEach((b) => b.insns.forEach((insn, i) => {
    if (insn.kind === "call") callSites.set(insn.calleeFrame, { block: b.id, index: i });
  }));
  const outermost = (frame: number): number => {
    let f = frame;
    while (ir.frames[f].parent !== undefined && ir.frames[f].parent !== 0) f = ir.frames[f].parent!;
    return f;
  };
  // Is a register or stack slot of frame 0 whose kind differs between paths live before instruction `index` of `block`?
  const unknownKindLive = (block: number, index: number): boolean => {
    const state = analysis.before[block]?.[index];
    if (!state) return false;
    const live = liveness.liveBefore(block, index);
    for (let r = 0; r < 10; r++) {
      const v = vreg(0, r);
      if (live.regs.has(v) && state.regs[v].k === "top") return true;
    }
    for (const [key, fact] of state.slots) {
      if (slotFrame(key) !== 0 || fact.k !== "top") continue;
      if ((live.stack[0] ?? 0n) & byteRange(slotOffset(key), 8)) return true;
    }
    return false;
  };
  const out = new Map<number, number>();
  const place = (block: number, index: number): void => {
    const old = out.get(block);
    if (old === undefined || index < old) out.set(block, index);
  };
  for (const [start, startIndex] of cuts) {
    let block = start;
    let index = startIndex;
    for (let guard = 0; guard < 100_000 && unknownKindLive(block, index); guard++) {
      if (ir.blocks[block].frame !== 0) {
        const site = callSites.get(outermost(ir.blocks[block].frame))!;
        block = site.block;
        index = site.index;
      } else if (index > 0) index--;
      else if (block !== 0 && idom[block] >= 0) {
        block = idom[block];
        const b = ir.blocks[block];
        // Inlining glue has no pc to resume at: take the last instruction instead.
        index = b.term.kind === "goto" && !b.term.origin ? Math.max(0, b.insns.length - 1) : b.insns.length;
      } else break;
      // A move inside a callee goes on to its call site.
      if (ir.blocks[block].frame !== 0) {
        const site = callSites.get(outermost(ir.blocks[block].frame))!;
        block = site.block;
        index = site.index;
      }
    }
    place(block, index);
  }
  return out;
}
