// From lowered micro blocks to the NIC image: split by stage (an edge into
// another stage becomes a handover stub; a stage with several entries starts
// with a dispatcher on a resume id the stub sets), allocate registers over the
// whole program at once (so a value sits in the same register on both sides
// of a handover), then lay each stage out as a microprogram.
import { Flag, Op, packCarry } from "../../hw-model/isa/opcode.ts";
import { IMM, NONE, X0 } from "../../hw-model/isa/register.ts";
import { microprogram, mk, type MicroInsn } from "../../hw-model/isa/instruction.ts";
import { STACK_FRAME_BYTES } from "./analysis.ts";
import type { FrontEnd } from "./front-end.ts";
import { FRAME_POINTER_REG, REGS_PER_FRAME, frameOf, regOf, type Origin } from "./ir.ts";
import type { HostCutSpec, Lowered } from "./lower.ts";
import { eliminateDeadCode, microLiveness, vIndex, virtualDefs } from "./micro-liveness.ts";
import { activeMutant } from "./mutants.ts";
import { isConst, isVirtual, mtermSuccessors, VBASE, type MBlock, type MemTarget, type MInsn, type MTerm, type Src } from "./micro-ir.ts";
import type { ExitRegister, HomeWrite, HostExit, NicStage, RegisterKind, WordLocation } from "./nic-image.ts";
import { allocateRegisters, type Allocation, type Location } from "./regalloc.ts";
import { HOST_RANDOM_SLOT, frameTop } from "./stack-layout.ts";
import { homeOf } from "./stack-homes.ts";
import type { AbsVal } from "./abstract-value.ts";

export interface StageAssignment {
  readonly stageCount: number;
  // IR block -> stage; IR blocks the NIC reaches must all be present.
  readonly stageOf: ReadonlyMap<number, number>;
}

export interface CompiledStages {
  readonly stages: readonly NicStage[];
  readonly hostExits: readonly HostExit[];
  readonly localMemoryBytes: number;
  // Bytes of the thread's scratch window the stack uses.
  readonly scratchBytes: number;
  readonly allocation: { readonly spilled: number; readonly copies: number };
  // The allocated micro blocks (stage glue included), their stages, and each stage's entry block.
  readonly blocks: readonly MBlock[];
  readonly stageOfBlock: readonly number[];
  readonly entries: readonly number[];
  readonly registerHomes: ReadonlyMap<number, readonly HomeWrite[]>;
}

export class CodegenError extends Error {}

const inverse: ReadonlyMap<number, number> = new Map([
  [Op.BEQ, Op.BNE], [Op.BNE, Op.BEQ], [Op.BMI, Op.BPL], [Op.BPL, Op.BMI], [Op.BCS, Op.BCC], [Op.BCC, Op.BCS],
  [Op.BVS, Op.BVC], [Op.BVC, Op.BVS], [Op.BHI, Op.BLS], [Op.BLS, Op.BHI], [Op.BGE, Op.BLT], [Op.BLT, Op.BGE],
  [Op.BGT, Op.BLE], [Op.BLE, Op.BGT], [Op.BR_BSET, Op.BR_BCLR], [Op.BR_BCLR, Op.BR_BSET],
]);

function kindOf(f: AbsVal): RegisterKind {
  switch (f.k) {
    case "ctx":
      return { kind: "ctx" };
    case "packet":
      return { kind: "packet" };
    case "stack":
      return { kind: "stack" };
    case "value":
      return { kind: "value" };
    case "map":
      return { kind: "map", map: f.map };
    default:
      return { kind: "scalar" };
  }
}

// Adds handover stubs and dispatchers; returns the stage of every block and each stage's entry block.
function splitStages(blocks: MBlock[], entry: number, stageOfBlock: number[], stageCount: number, nextVreg: { v: number }): { entries: number[]; handoverTargets: Map<number, number[]> } {
  const stubs = new Map<string, number>();
  const entriesOf: number[][] = Array.from({ length: stageCount }, () => []);
  entriesOf[stageOfBlock[entry]].push(entry);
  const resumeReg = new Map<number, number>();
  const stubFor = (from: number, to: number): number => {
    const s = stageOfBlock[from];
    const t = stageOfBlock[to];
    if (t <= s) throw new CodegenError(`block ${from} (stage ${s}) jumps back to stage ${t}`);
    const key = `${s}>${to}`;
    let id = stubs.get(key);
    if (id === undefined) {
      id = blocks.length;
      if (!entriesOf[t].includes(to)) entriesOf[t].push(to);
      blocks.push({ id, insns: [], term: { kind: "handover", stage: t, entry: to, edge: entriesOf[t].indexOf(to) }, irBlock: -1 });
      stageOfBlock[id] = s;
      stubs.set(key, id);
    }
    return id;
  };
  const original = blocks.length;
  for (let id = 0; id < original; id++) {
    const b = blocks[id];
    const t = b.term;
    const fix = (to: number): number => (stageOfBlock[to] === stageOfBlock[id] ? to : stubFor(id, to));
    switch (t.kind) {
      case "goto":
        b.term = { ...t, target: fix(t.target) };
        break;
      case "branch":
      case "bitbranch":
        b.term = { ...t, target: fix(t.target), fallthrough: fix(t.fallthrough) };
        break;
      default:
        break;
    }
  }
  // Stages with several entries start with a dispatcher on the resume id.
  const stageEntry: number[] = [];
  for (let s = 0; s < stageCount; s++) {
    const list = entriesOf[s];
    if (list.length <= 1) {
      stageEntry[s] = list[0] ?? -1;
      continue;
    }
    const r = nextVreg.v++;
    resumeReg.set(s, r);
    let first = -1;
    let prev: MBlock | undefined;
    list.forEach((target, k) => {
      const id = blocks.length;
      const last = k === list.length - 1;
      const blk: MBlock = last
        ? { id, insns: [], term: { kind: "goto", target }, irBlock: -1 }
        : { id, insns: [mk(Op.SUB, { d: NONE, a: r, b: IMM, imm: k }) as MInsn], term: { kind: "branch", op: Op.BEQ, target, fallthrough: id + 1 }, irBlock: -1 };
      blocks.push(blk);
      stageOfBlock[id] = s;
      if (prev && prev.term.kind === "branch") prev.term = { ...prev.term, fallthrough: id };
      if (first < 0) first = id;
      prev = blk;
    });
    stageEntry[s] = first;
  }
  // Stubs into a dispatched stage set the resume id; handovers continue at the stage's entry.
  for (const b of blocks) {
    if (b.term.kind !== "handover") continue;
    const t = b.term;
    const r = resumeReg.get(t.stage);
    if (r !== undefined) b.insns.push(mk(Op.IMMED, { d: r, imm: t.edge }) as MInsn);
    b.term = { ...t, entry: stageEntry[t.stage] };
  }
  const handoverTargets = new Map<number, number[]>(entriesOf.map((l, s) => [s, l]));
  return { entries: stageEntry, handoverTargets };
}

function wordLocation(s: Src, location: ReadonlyMap<number, Location>): WordLocation {
  if (isConst(s)) return { kind: "const", value: s.value };
  const l = location.get(s.reg);
  if (!l) return { kind: "const", value: 0 };
  return l.kind === "reg" ? { kind: "reg", reg: l.reg } : { kind: "lm", offset: l.offset };
}

// Per eBPF pc, the home words of its own frame's eBPF registers that its code defines (before allocation,
// so coalescing has not renamed them yet), where the allocator put them. Homes are virtual registers
// below the first temporary (lower.ts: two per register of every frame).
function registerHomesOf(blocks: readonly MBlock[], frameCount: number, location: ReadonlyMap<number, Location>): Map<number, HomeWrite[]> {
  const homesEnd = VBASE + 2 * frameCount * REGS_PER_FRAME;
  const out = new Map<number, HomeWrite[]>();
  for (const b of blocks) {
    for (const i of b.insns) {
      const origin = i.origin;
      if (!origin) continue;
      for (const d of virtualDefs(i)) {
        if (d >= homesEnd) continue;
        const v = (d - VBASE) >> 1;
        const l = location.get(d);
        if (!l || frameOf(v) !== origin.frame || regOf(v) === FRAME_POINTER_REG) continue;
        const half = (d - VBASE) & 1 ? "hi" : "lo";
        const list = out.get(origin.pc) ?? [];
        const write: HomeWrite = { reg: regOf(v), half, home: l.kind === "reg" ? { kind: "reg", reg: l.reg } : { kind: "lm", offset: l.offset } };
        const k = list.findIndex((w) => w.reg === write.reg && w.half === half);
        if (k >= 0) list[k] = write;
        else list.push(write);
        out.set(origin.pc, list);
      }
    }
  }
  return out;
}

interface Range {
  lo: number;
  hi: number;
}
const widen = (r: Range | undefined, lo: number, hi: number): Range => (r ? { lo: Math.min(r.lo, lo), hi: Math.max(r.hi, hi) } : { lo, hi });

export function compileStages(fe: FrontEnd, lowered: Lowered, assignment: StageAssignment, lmBytesPerThread: number): CompiledStages {
  const blocks = lowered.blocks.map((b) => ({ ...b, insns: [...b.insns] }));
  eliminateDeadCode(blocks, lowered.tempCount);
  const stageOfBlock = blocks.map((b) => {
    const s = assignment.stageOf.get(b.irBlock);
    if (s === undefined) throw new CodegenError(`IR block ${b.irBlock} has no stage`);
    return s;
  });
  const nextVreg = { v: lowered.tempCount };
  const { entries, handoverTargets } = splitStages(blocks, lowered.entry, stageOfBlock, assignment.stageCount, nextVreg);
  const homes = lowered.homes;
  const spillBase = homes.lmEndBytes;
  const alloc: Allocation = allocateRegisters(blocks, { entry: lowered.entry, vregCount: nextVreg.v, spillBase, spillLimit: lmBytesPerThread });
  const { liveIn } = microLiveness(alloc.virtualBlocks, Math.max(nextVreg.v, ...[...alloc.location.keys()].map((v) => v + 1)));
  const locate = (v: number): Location | undefined => alloc.location.get(v);

  // Live registers, local memory and scratch bytes a handover into stage t carries.
  const carried = (stage: number, entryBlock: number): { mask: number; lm: Range | undefined; scratch: Range | undefined } => {
    let mask = 0;
    let lm: Range | undefined;
    let scratch: Range | undefined;
    for (const i of liveIn[entryBlock]) {
      const l = locate(i + VBASE);
      if (!l) continue;
      if (l.kind === "reg") mask |= 1 << l.reg;
      else lm = widen(lm, l.offset, l.offset + 4);
    }
    if (activeMutant() === "handover-drops-register" && mask !== 0) mask &= ~(1 << (31 - Math.clz32(mask)));
    // The random-draw counter lives across stages: a later stage (or its host exit) continues it.
    if (lowered.countsRandomDraws) lm = widen(lm, HOST_RANDOM_SLOT, HOST_RANDOM_SLOT + 4);
    for (const target of handoverTargets.get(stage) ?? []) {
      const ir = blocks[target].irBlock;
      const stack = fe.liveness.liveIn[ir]?.stack ?? [];
      stack.forEach((bits, frame) => {
        if (bits === 0n) return;
        // Only the frame's own bytes: what lies below them the NIC never wrote (host-only code reads it as 0).
        const top = frameTop(fe.layout, frame);
        const base = top - STACK_FRAME_BYTES;
        for (let i = STACK_FRAME_BYTES - fe.layout.size[frame]; i < STACK_FRAME_BYTES; i++) {
          if (((bits >> BigInt(i)) & 1n) === 0n) continue;
          const home = homeOf(fe.layout, homes, frame, base + i);
          if (home.kind === "lm") lm = widen(lm, home.offset, home.offset + 1);
          else scratch = widen(scratch, home.offset, home.offset + 1);
        }
      });
    }
    return { mask: mask >>> 0, lm, scratch };
  };

  // Host exits: where each live register and stack byte ended up.
  const specs = new Map<number, HostCutSpec>(lowered.hostCuts.map((c) => [c.id, c]));
  const hostExits: HostExit[] = lowered.hostCuts.map((spec) => {
    const registers: ExitRegister[] = spec.registers.map((r) => ({ reg: r.reg, kind: kindOf(r.fact), lo: wordLocation(r.lo, alloc.location), hi: wordLocation(r.hi, alloc.location) }));
    return {
      id: spec.id,
      resumePc: spec.resumePc,
      origin: spec.origin,
      registers,
      frameTop: frameTop(fe.layout, 0),
      frameBytes: fe.layout.size[0],
      frameHome: homes.frames[0],
      stackLive: spec.stackLive,
      pointerSlots: spec.pointerSlots.map((p) => ({ offset: p.offset, kind: kindOf(p.fact) })),
    };
  });
  const toHostCarry = (cut: number): { mask: number; bytes: number; scratchOffset: number; scratchBytes: number } => {
    const exit = hostExits[cut];
    let mask = 0;
    const home = homes.frames[0];
    // Frame 0's local-memory part ends here (its layout top when nothing moved to the scratch window).
    let hi = home.lmBase + fe.layout.size[0] - home.scratchBytes;
    for (const r of exit.registers) {
      for (const w of [r.lo, r.hi]) {
        if (w.kind === "reg") mask |= 1 << w.reg;
        else if (w.kind === "lm") hi = Math.max(hi, w.offset + 4);
      }
    }
    void specs;
    return { mask: mask >>> 0, bytes: Math.min(hi, lmBytesPerThread), scratchOffset: home.scratchBase, scratchBytes: home.scratchBytes };
  };

  const stages: NicStage[] = [];
  for (let s = 0; s < assignment.stageCount; s++) {
    const mine = alloc.blocks.filter((b) => stageOfBlock[b.id] === s);
    const entry = entries[s];
    const order = entry >= 0 ? [alloc.blocks[entry], ...mine.filter((b) => b.id !== entry)] : mine;
    const insns: MicroInsn[] = [];
    const origins: (Origin | undefined)[] = [];
    const memTargets: (MemTarget | undefined)[] = [];
    const fixups: { at: number; block: number }[] = [];
    const pcOf = new Map<number, number>();
    const push = (i: MicroInsn, origin?: Origin, target?: MemTarget): void => {
      insns.push(i);
      origins.push(origin);
      memTargets.push(target);
    };
    const branchTo = (op: number, target: number, fields: Partial<MicroInsn> = {}, origin?: Origin): void => {
      fixups.push({ at: insns.length, block: target });
      push(mk(op, { ...fields, x: 0 }), origin);
    };
    if (order.length === 0) push(mk(Op.VERDICT, { n: 0 }));
    order.forEach((b, k) => {
      pcOf.set(b.id, insns.length);
      for (const i of b.insns) push(stripOrigin(i), i.origin, i.memTarget);
      const next = order[k + 1]?.id;
      const t = b.term;
      const lastOrigin = b.insns.length ? b.insns[b.insns.length - 1].origin : undefined;
      switch (t.kind) {
        case "goto":
          if (t.target !== next) branchTo(Op.BR, t.target, {}, lastOrigin);
          break;
        case "branch":
        case "bitbranch": {
          const fields = t.kind === "bitbranch" ? { a: t.reg, imm: t.bit } : {};
          if (t.target === t.fallthrough) {
            if (t.target !== next) branchTo(Op.BR, t.target, {}, lastOrigin);
          } else if (t.target === next) branchTo(inverse.get(t.op)!, t.fallthrough, fields, lastOrigin);
          else {
            branchTo(t.op, t.target, fields, lastOrigin);
            if (t.fallthrough !== next) branchTo(Op.BR, t.fallthrough, {}, lastOrigin);
          }
          break;
        }
        case "verdict":
          if (t.reg >= 0) push(mk(Op.VERDICT, { n: -1, a: t.reg }), lastOrigin);
          else if ((t.action ?? 0) >>> 0 <= 4) push(mk(Op.VERDICT, { n: t.action ?? 0 }), lastOrigin);
          else {
            const v = (t.action ?? 0) >>> 0;
            push(mk(Op.IMMED, { d: X0, imm: v & 0xffff }), lastOrigin);
            push(mk(Op.IMMED_W1, { d: X0, imm: v >>> 16 }), lastOrigin);
            push(mk(Op.VERDICT, { n: -1, a: X0 }), lastOrigin);
          }
          break;
        case "toHost": {
          const c = toHostCarry(t.cut);
          push(mk(Op.TO_HOST, { imm: c.mask | 0, x: packCarry(0, c.scratchOffset), c: packCarry(c.bytes, c.scratchBytes) }), lastOrigin);
          break;
        }
        case "handover": {
          const c = carried(t.stage, t.entry);
          const span = (r: Range | undefined): { at: number; bytes: number } => (r ? { at: r.lo, bytes: r.hi - r.lo } : { at: 0, bytes: 0 });
          const lm = span(c.lm);
          const scratch = span(c.scratch);
          push(mk(Op.HANDOVER, { n: t.stage, imm: c.mask | 0, x: packCarry(lm.at, scratch.at), c: packCarry(lm.bytes, scratch.bytes) }), lastOrigin);
          break;
        }
      }
    });
    for (const f of fixups) {
      const pc = pcOf.get(f.block);
      if (pc === undefined) throw new CodegenError(`stage ${s} branches to block ${f.block}, which is in another stage`);
      insns[f.at] = { ...insns[f.at], x: pc };
    }
    let program;
    try {
      program = microprogram(insns);
    } catch (e) {
      throw new CodegenError(`stage ${s}: generated microcode is invalid: ${(e as Error).message}`);
    }
    const irBlocks = [...new Set(mine.map((b) => b.irBlock).filter((x) => x >= 0))];
    stages.push({ index: s, program, origins, memTargets, irBlocks });
  }
  const spillEnd = spillBase + alloc.spillBytes;
  return {
    stages,
    hostExits,
    localMemoryBytes: Math.max(homes.lmEndBytes, spillEnd),
    scratchBytes: homes.scratchEndBytes,
    allocation: { spilled: alloc.spilled, copies: alloc.copies },
    blocks: alloc.blocks,
    stageOfBlock,
    entries,
    registerHomes: registerHomesOf(blocks, fe.ir.frames.length, alloc.location),
  };
}

function stripOrigin(i: MInsn): MicroInsn {
  const { origin: _origin, memTarget: _target, ...rest } = i;
  void _origin;
  void _target;
  return rest;
}

export { Flag, isVirtual, mtermSuccessors, vIndex };
export type { MTerm };
