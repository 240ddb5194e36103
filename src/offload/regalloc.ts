// Register allocation for the microengine: virtual registers to a0..a15 and
// b0..b15 under the datapath's rule that one instruction reads at most one
// register of each bank.
//   1. Bank assignment: the two register sources of an instruction must sit in
//      different banks; these constraints form a graph that must be
//      two-colourable. Union-find with parity builds it; an edge that would
//      close an odd cycle is cut by copying one operand into a fresh register.
//   2. Per bank, Chaitin-Briggs colouring with 16 colours, biased so the two
//      ends of a move get the same register (the move then disappears).
//   3. What does not colour is spilled to local memory (lm_st after each
//      definition, lm_ld before each use) and the whole thing runs again.
// Copies are inserted before the start of a carry chain (add ... addc), since
// a mov between them would clear the carry.
import { Op, opInfo } from "../../hw-model/isa/opcode.ts";
import { A0, B0, IMM, NONE } from "../../hw-model/isa/register.ts";
import { mk } from "../../hw-model/isa/instruction.ts";
import { BitSet, flagsConsumed, microLiveness, vIndex, virtualDefs, virtualUses } from "./micro-liveness.ts";
import { activeMutant } from "./mutants.ts";
import { isVirtual, mtermSuccessors, mtermUses, readsFlags, setsFlags, VBASE, type MBlock, type MInsn, type MTerm } from "./micro-ir.ts";

export const REGS_PER_BANK = 16;

export type Location = { readonly kind: "reg"; readonly reg: number } | { readonly kind: "lm"; readonly offset: number };

export interface Allocation {
  readonly blocks: MBlock[];
  // The same code before registers were replaced (for liveness questions after allocation).
  readonly virtualBlocks: MBlock[];
  // Where each virtual register lives (only those still present after allocation).
  readonly location: ReadonlyMap<number, Location>;
  // Local-memory bytes used by spill slots, from spillBase.
  readonly spillBytes: number;
  readonly spilled: number;
  readonly copies: number;
}

export class AllocationError extends Error {}

// Operand pairs of an instruction that must come from different banks.
function bankPairs(i: MInsn): [keyof MInsn, keyof MInsn] | undefined {
  switch (opInfo[i.op].format) {
    case "alu3":
    case "dblshift":
    case "mulstart":
      return ["a", "b"];
    case "shift":
      return i.b === NONE ? undefined : ["a", "b"];
    default:
      return undefined;
  }
}

// Where a copy feeding instruction i must go: before the flag setter whose carry it consumes.
function chainStart(insns: readonly MInsn[], i: number): number {
  let at = i;
  if (!readsFlags(insns[at].op)) return at;
  for (let k = at - 1; k >= 0; k--) {
    if (!setsFlags(insns[k].op)) continue;
    at = k;
    if (!readsFlags(insns[k].op)) return at;
  }
  return at;
}

interface Counter {
  next: number;
}

function replaceOperand(i: MInsn, field: keyof MInsn, value: number): MInsn {
  return { ...i, [field]: value } as MInsn;
}

// Inserts `mov fresh, reg` before the chain of instruction index i, and makes i read fresh in `field`.
function splitOperand(block: MBlock, i: number, field: keyof MInsn, fresh: number): void {
  const insns = block.insns;
  const original = insns[i][field] as number;
  const at = chainStart(insns, i);
  for (let k = at; k < i; k++) {
    if (virtualDefs(insns[k]).includes(original)) throw new AllocationError(`a carry chain redefines v${original - VBASE} before its use`);
  }
  const copy: MInsn = { ...mk(Op.MOV, { d: fresh, b: original }), ...(insns[i].origin ? { origin: insns[i].origin } : {}) };
  insns[i] = replaceOperand(insns[i], field, fresh);
  insns.splice(at, 0, copy);
}

// Step 1: both-bank constraints; returns the bank (0 = A, 1 = B) of every constrained vreg.
function assignBanks(blocks: MBlock[], counter: Counter, weights: Map<number, number>): { bank: Map<number, number>; copies: number } {
  const parent = new Map<number, number>();
  const parity = new Map<number, number>();
  const find = (v: number): [number, number] => {
    let p = 0;
    let r = v;
    const path: number[] = [];
    while (parent.has(r) && parent.get(r) !== r) {
      path.push(r);
      p ^= parity.get(r)!;
      r = parent.get(r)!;
    }
    // Path compression.
    let acc = p;
    for (const node of path) {
      const pn = parity.get(node)!;
      parent.set(node, r);
      parity.set(node, acc);
      acc ^= pn;
    }
    if (!parent.has(r)) {
      parent.set(r, r);
      parity.set(r, 0);
    }
    return [r, p];
  };
  let copies = 0;
  for (const block of blocks) {
    for (let i = 0; i < block.insns.length; i++) {
      const pair = bankPairs(block.insns[i]);
      if (!pair) continue;
      const [fa, fb] = pair;
      const a = block.insns[i][fa] as number;
      const b = block.insns[i][fb] as number;
      if (!isVirtual(a) || !isVirtual(b)) continue;
      if (a === b) {
        splitOperand(block, i, fb, counter.next++);
        copies++;
        i++;
        const nb = block.insns[i][fb] as number;
        const [ra, pa] = find(a);
        const [rb, pb] = find(nb);
        parent.set(rb, ra);
        parity.set(rb, pa ^ pb ^ 1);
        continue;
      }
      const [ra, pa] = find(a);
      const [rb, pb] = find(b);
      if (ra === rb) {
        if (pa !== pb) continue;
        splitOperand(block, i, fb, counter.next++);
        copies++;
        i++;
        const nb = block.insns[i][fb] as number;
        const [rn, pn] = find(nb);
        parent.set(rn, ra);
        parity.set(rn, pa ^ pn ^ 1);
        continue;
      }
      parent.set(rb, ra);
      parity.set(rb, pa ^ pb ^ 1);
    }
  }
  // Orient each component so the banks carry similar weight.
  const sides = new Map<number, [number, number]>();
  for (const v of parent.keys()) {
    const [r, p] = find(v);
    const s = sides.get(r) ?? [0, 0];
    s[p] += weights.get(v) ?? 1;
    sides.set(r, s);
  }
  const load = [0, 0];
  const flip = new Map<number, number>();
  for (const [r, s] of [...sides].sort((x, y) => y[1][0] + y[1][1] - (x[1][0] + x[1][1]))) {
    const keep = Math.max(load[0] + s[0], load[1] + s[1]);
    const swapped = Math.max(load[0] + s[1], load[1] + s[0]);
    const f = swapped < keep ? 1 : 0;
    flip.set(r, f);
    load[0] += f ? s[1] : s[0];
    load[1] += f ? s[0] : s[1];
  }
  const bank = new Map<number, number>();
  for (const v of parent.keys()) {
    const [r, p] = find(v);
    bank.set(v, p ^ flip.get(r)!);
  }
  return { bank, copies };
}

interface Graph {
  readonly adj: Map<number, Set<number>>;
  readonly moves: Map<number, Set<number>>;
  readonly cost: Map<number, number>;
}

function buildGraph(blocks: MBlock[], vregCount: number, depth: ReadonlyMap<number, number>): Graph {
  const { liveOut } = microLiveness(blocks, vregCount);
  const adj = new Map<number, Set<number>>();
  const moves = new Map<number, Set<number>>();
  const cost = new Map<number, number>();
  const node = (v: number): Set<number> => {
    let s = adj.get(v);
    if (!s) {
      s = new Set();
      adj.set(v, s);
    }
    return s;
  };
  const addCost = (v: number, w: number): void => {
    cost.set(v, (cost.get(v) ?? 0) + w);
  };
  for (const b of blocks) {
    const weight = 10 ** Math.min(4, depth.get(b.id) ?? 0);
    const live = liveOut[b.id].copy();
    const words = live.words;
    for (const r of mtermUses(b.term)) {
      if (!isVirtual(r)) continue;
      live.add(vIndex(r));
      node(r);
      addCost(r, weight);
    }
    for (let i = b.insns.length - 1; i >= 0; i--) {
      const insn = b.insns[i];
      const defs = virtualDefs(insn);
      const uses = virtualUses(insn);
      const isMove = insn.op === Op.MOV && insn.d !== NONE && isVirtual(insn.d) && isVirtual(insn.b);
      for (const d of defs) {
        const dn = node(d);
        addCost(d, weight);
        const skip = isMove ? vIndex(insn.b) : -1;
        for (let w = 0; w < words.length; w++) {
          let bits = words[w];
          while (bits) {
            const low = bits & -bits;
            const idx = (w << 5) + (31 - Math.clz32(low));
            bits ^= low;
            if (idx === skip) continue;
            const v = idx + VBASE;
            if (v === d) continue;
            dn.add(v);
            node(v).add(d);
          }
        }
      }
      if (isMove) {
        (moves.get(insn.d) ?? moves.set(insn.d, new Set()).get(insn.d)!).add(insn.b);
        (moves.get(insn.b) ?? moves.set(insn.b, new Set()).get(insn.b)!).add(insn.d);
      }
      for (const d of defs) live.delete(vIndex(d));
      for (const u of uses) {
        node(u);
        addCost(u, weight);
        live.add(vIndex(u));
      }
    }
  }
  return { adj, moves, cost };
}

// Chaitin-Briggs with optimistic colouring; returns colours and the nodes that did not colour.
function colorBank(nodes: number[], g: Graph, bankOf: (v: number) => number, bank: number, color: Map<number, number>, noSpill: ReadonlySet<number>): number[] {
  const inBank = new Set(nodes);
  const degree = new Map<number, number>();
  for (const v of nodes) {
    let d = 0;
    for (const w of g.adj.get(v) ?? []) if (inBank.has(w)) d++;
    degree.set(v, d);
  }
  const removed = new Set<number>();
  const stack: number[] = [];
  const remaining = new Set(nodes);
  while (remaining.size) {
    let pick: number | undefined;
    for (const v of remaining) {
      if (degree.get(v)! < REGS_PER_BANK) {
        pick = v;
        break;
      }
    }
    if (pick === undefined) {
      // Spill candidate: lowest cost per degree, never a spill temporary.
      let best = Infinity;
      for (const v of remaining) {
        const c = noSpill.has(v) ? Infinity : (g.cost.get(v) ?? 1) / (degree.get(v)! + 1);
        if (c < best || pick === undefined) {
          best = c;
          pick = v;
        }
      }
    }
    remaining.delete(pick!);
    removed.add(pick!);
    stack.push(pick!);
    for (const w of g.adj.get(pick!) ?? []) if (inBank.has(w) && !removed.has(w)) degree.set(w, degree.get(w)! - 1);
  }
  const failed: number[] = [];
  while (stack.length) {
    const v = stack.pop()!;
    const taken = new Set<number>();
    for (const w of g.adj.get(v) ?? []) {
      const c = color.get(w);
      if (c !== undefined && bankOf(w) === bank) taken.add(c);
    }
    let chosen: number | undefined;
    for (const partner of g.moves.get(v) ?? []) {
      const c = color.get(partner);
      if (c !== undefined && bankOf(partner) === bank && !taken.has(c)) {
        chosen = c;
        break;
      }
    }
    if (chosen === undefined) for (let c = 0; c < REGS_PER_BANK; c++) if (!taken.has(c)) {
      chosen = c;
      break;
    }
    if (chosen === undefined) failed.push(v);
    else color.set(v, chosen);
  }
  return failed;
}

// Loop depth of each block (back edges found by DFS), for spill costs.
function loopDepth(blocks: readonly MBlock[], entry: number): Map<number, number> {
  const depth = new Map<number, number>();
  const state = new Uint8Array(blocks.length);
  const order: number[] = [];
  const backEdges: [number, number][] = [];
  const stack: [number, number][] = [[entry, 0]];
  state[entry] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1];
    const succ = mtermSuccessors(blocks[top[0]].term);
    if (top[1] < succ.length) {
      const s = succ[top[1]++];
      if (state[s] === 0) {
        state[s] = 1;
        stack.push([s, 0]);
      } else if (state[s] === 1) backEdges.push([top[0], s]);
    } else {
      state[top[0]] = 2;
      order.push(top[0]);
      stack.pop();
    }
  }
  const preds: number[][] = blocks.map(() => []);
  blocks.forEach((b) => mtermSuccessors(b.term).forEach((s) => preds[s].push(b.id)));
  for (const [tail, head] of backEdges) {
    // Natural loop body: blocks that reach tail without passing head.
    const body = new Set<number>([head, tail]);
    const work = [tail];
    while (work.length) {
      const x = work.pop()!;
      if (x === head) continue;
      for (const p of preds[x]) if (!body.has(p)) {
        body.add(p);
        work.push(p);
      }
    }
    for (const x of body) depth.set(x, (depth.get(x) ?? 0) + 1);
  }
  void order;
  return depth;
}

function rewriteSpills(blocks: MBlock[], spilled: ReadonlyMap<number, number>, counter: Counter, noSpill: Set<number>): void {
  for (const b of blocks) {
    const out: MInsn[] = [];
    for (const insn of b.insns) {
      let cur = insn;
      const origin = insn.origin ? { origin: insn.origin } : {};
      const reloaded = new Map<number, number>();
      for (const u of virtualUses(insn)) {
        const slot = spilled.get(u);
        if (slot === undefined || reloaded.has(u)) continue;
        const t = counter.next++;
        noSpill.add(t);
        reloaded.set(u, t);
        out.push({ ...mk(Op.LM_LD, { d: t, n: 0, imm: slot, c: 4 }), ...origin });
      }
      const stores: MInsn[] = [];
      const defs = virtualDefs(insn);
      const renamedDef = new Map<number, number>();
      for (const d of defs) {
        const slot = spilled.get(d);
        if (slot === undefined) continue;
        const t = reloaded.get(d) ?? counter.next++;
        noSpill.add(t);
        renamedDef.set(d, t);
        stores.push({ ...mk(Op.LM_ST, { n: 0, imm: slot, a: t, c: 4 }), ...origin });
      }
      for (const field of ["d", "a", "b", "c", "x"] as const) {
        const v = cur[field];
        if (field === "d" && renamedDef.has(v)) cur = replaceOperand(cur, "d", renamedDef.get(v)!);
        else if (reloaded.has(v) && (field !== "d" || virtualUses(insn).includes(v))) cur = replaceOperand(cur, field, reloaded.get(v)!);
      }
      out.push(cur, ...stores);
    }
    // Terminator registers: reload before the end (a to_host or handover reads spilled values from local memory itself).
    const t = b.term;
    if ((t.kind === "bitbranch" || t.kind === "verdict") && spilled.has(t.reg)) {
      const r = counter.next++;
      noSpill.add(r);
      out.push(mk(Op.LM_LD, { d: r, n: 0, imm: spilled.get(t.reg)!, c: 4 }));
      b.term = { ...t, reg: r } as MTerm;
    }
    if (t.kind === "toHost") b.term = { ...t, uses: t.uses.filter((u) => !spilled.has(u)) };
    b.insns = out;
  }
}

export interface AllocateOptions {
  readonly entry: number;
  readonly vregCount: number;
  // First local-memory byte for spill slots, and the end of the thread's local memory.
  readonly spillBase: number;
  readonly spillLimit: number;
}

export function allocateRegisters(input: MBlock[], opts: AllocateOptions): Allocation {
  const blocks = input.map((b) => ({ ...b, insns: [...b.insns] }));
  const counter: Counter = { next: opts.vregCount };
  const spillSlots = new Map<number, number>();
  const noSpill = new Set<number>();
  const depth = loopDepth(blocks, opts.entry);
  let copies = 0;
  // Coalesced registers: original -> the one it was merged into.
  const alias = new Map<number, number>();
  const resolve = (v: number): number => {
    let r = v;
    while (alias.has(r)) r = alias.get(r)!;
    return r;
  };
  for (let round = 0; round < 32; round++) {
    const banks = assignBanks(blocks, counter, new Map());
    copies += banks.copies;
    let g = buildGraph(blocks, counter.next, depth);
    if (coalesce(blocks, g, banks.bank, alias, noSpill)) g = buildGraph(blocks, counter.next, depth);
    const bankOf = (v: number): number => {
      let b = banks.bank.get(v);
      if (b === undefined) {
        // Unconstrained: the bank with fewer neighbours already there.
        let a = 0;
        let bb = 0;
        for (const w of g.adj.get(v) ?? []) {
          const wb = banks.bank.get(w);
          if (wb === 0) a++;
          else if (wb === 1) bb++;
        }
        b = a <= bb ? 0 : 1;
        banks.bank.set(v, b);
      }
      return b;
    };
    const all = [...g.adj.keys()];
    all.forEach(bankOf);
    const color = new Map<number, number>();
    const failed: number[] = [];
    for (const bank of [0, 1]) failed.push(...colorBank(all.filter((v) => bankOf(v) === bank), g, bankOf, bank, color, noSpill));
    if (failed.length === 0) {
      const location = new Map<number, Location>();
      for (const [v, c] of color) location.set(v, { kind: "reg", reg: (bankOf(v) === 0 ? A0 : B0) + c });
      for (const [v, off] of spillSlots) location.set(v, { kind: "lm", offset: off });
      for (const v of alias.keys()) {
        const l = location.get(resolve(v));
        if (l) location.set(v, l);
      }
      return { blocks: finish(blocks, location), virtualBlocks: blocks, location, spillBytes: spillSlots.size * 4, spilled: spillSlots.size, copies };
    }
    const fresh = new Map<number, number>();
    for (const v of failed) {
      const off = opts.spillBase + 4 * spillSlots.size;
      if (off + 4 > opts.spillLimit) throw new AllocationError(`the program needs more registers than fit, and local memory has no room left for spill slots (${opts.spillLimit} bytes)`);
      spillSlots.set(v, off);
      fresh.set(v, off);
    }
    rewriteSpills(blocks, fresh, counter, noSpill);
  }
  throw new AllocationError("register allocation did not converge");
}

// Merges the two ends of moves that do not interfere and sit in the same bank, when the merged
// register still colours (Briggs: fewer than K neighbours of significant degree); renames the code.
function coalesce(blocks: MBlock[], g: Graph, bank: Map<number, number>, alias: Map<number, number>, noSpill: Set<number>): boolean {
  const parent = new Map<number, number>();
  const find = (v: number): number => {
    let r = v;
    while (parent.has(r)) r = parent.get(r)!;
    return r;
  };
  const adjOf = (v: number): Set<number> => g.adj.get(v) ?? new Set();
  let merged = false;
  for (const b of blocks) {
    for (const i of b.insns) {
      if (i.op !== Op.MOV || i.d === NONE || !isVirtual(i.d) || !isVirtual(i.b)) continue;
      const x = find(i.d);
      const y = find(i.b);
      if (x === y) continue;
      const bx = bank.get(x);
      const by = bank.get(y);
      if (bx !== undefined && by !== undefined && bx !== by) continue;
      const ax = adjOf(x);
      const ay = adjOf(y);
      if (ax.has(y)) continue;
      // Briggs: neighbours in the same bank that themselves have K or more same-bank neighbours.
      const bankOfMerged = bx ?? by;
      const sameBank = (n: number): boolean => bankOfMerged === undefined || bank.get(n) === undefined || bank.get(n) === bankOfMerged;
      let significant = 0;
      for (const n of new Set([...ax, ...ay])) {
        if (!sameBank(n)) continue;
        let degree = 0;
        for (const m of adjOf(n)) if (sameBank(m)) degree++;
        if (degree >= REGS_PER_BANK) significant++;
      }
      if (significant >= REGS_PER_BANK) continue;
      // Merge y into x.
      for (const n of ay) {
        const an = adjOf(n);
        an.delete(y);
        an.add(x);
        ax.add(n);
      }
      g.adj.set(x, ax);
      g.adj.delete(y);
      if (bx === undefined && by !== undefined) bank.set(x, by);
      if (noSpill.has(y)) noSpill.add(x);
      parent.set(y, x);
      merged = true;
    }
  }
  if (!merged) return false;
  for (const [y] of parent) alias.set(y, find(y));
  const r = (v: number): number => (isVirtual(v) ? find(v) : v);
  for (const b of blocks) {
    b.insns = b.insns.map((i) => {
      const fmt = opInfo[i.op].format;
      const cIsReg = fmt !== "lmload" && fmt !== "lmstore" && fmt !== "mem";
      const xIsReg = fmt === "fwcall";
      return { ...i, d: i.d === NONE ? NONE : r(i.d), a: i.a === IMM || i.a === NONE ? i.a : r(i.a), b: i.b === IMM || i.b === NONE ? i.b : r(i.b), c: cIsReg && i.c !== NONE ? r(i.c) : i.c, x: xIsReg && i.x !== NONE ? r(i.x) : i.x };
    });
    const t = b.term;
    if (t.kind === "bitbranch" || (t.kind === "verdict" && t.reg >= 0)) b.term = { ...t, reg: r(t.reg) } as MTerm;
    else if (t.kind === "toHost") b.term = { ...t, uses: t.uses.map(r) };
  }
  return true;
}

// Replaces virtual registers by physical ones and drops moves that became no-ops.
function finish(blocks: MBlock[], location: ReadonlyMap<number, Location>): MBlock[] {
  const phys = (r: number): number => {
    if (!isVirtual(r)) return r;
    const l = location.get(r);
    if (!l || l.kind !== "reg") throw new AllocationError(`virtual register v${r - VBASE} has no register`);
    return l.reg;
  };
  return blocks.map((b) => {
    const insns: MInsn[] = [];
    for (const [index, i] of b.insns.entries()) {
      const m: MInsn = { ...i, d: i.d === NONE ? NONE : phys(i.d), a: i.a === IMM || i.a === NONE ? i.a : phys(i.a), b: i.b === IMM || i.b === NONE ? i.b : phys(i.b), c: i.c === NONE ? NONE : opInfo[i.op].format === "lmload" || opInfo[i.op].format === "lmstore" || opInfo[i.op].format === "mem" ? i.c : phys(i.c), x: opInfo[i.op].format === "fwcall" && i.x !== NONE ? phys(i.x) : i.x };
      if (activeMutant() === "mov-wrong-register-bank" && m.op === Op.MOV && m.b >= B0 && m.b < B0 + (B0 - A0)) (m as { b: number }).b = m.b - B0 + A0;
      if (m.op === Op.MOV && m.d === m.b && m.d !== NONE && !flagsConsumed(b, index)) continue;
      insns.push(m);
    }
    const t = b.term;
    const term: MTerm = t.kind === "bitbranch" ? { ...t, reg: phys(t.reg) } : t.kind === "verdict" && t.reg >= 0 ? { ...t, reg: phys(t.reg) } : t;
    return { ...b, insns, term };
  });
}

export { BitSet };
