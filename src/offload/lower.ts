// Lowering of the whole NIC part of a program: every IR block the NIC can
// reach becomes micro blocks over virtual registers; a blocked point becomes a
// block that records its exit id in local memory and moves the packet to the
// host (to_host), with the live eBPF registers and stack described by a
// HostCutSpec so the runner can rebuild the host's state.
import { Op } from "../../hw-model/isa/opcode.ts";
import * as S from "../verifier/scalar.ts";
import { mayBePointer, type AbsVal } from "./abstract-value.ts";
import type { AbsState } from "./analysis.ts";
import type { FrontEnd } from "./front-end.ts";
import { FRAME_POINTER_REG, REGS_PER_FRAME, vreg, type IrInsn, type Origin } from "./ir.ts";
import { lowerArithmetic } from "./lower-alu.ts";
import { constPair, readPair, writePair, type LowerCtx } from "./lower-context.ts";
import { HelperId, lowerHelper, mapArgOf } from "./lower-helpers.ts";
import { IMM } from "../../hw-model/isa/register.ts";
import { lowerBranch } from "./lower-jump.ts";
import { MEM_SIGNAL, extractMerged, issueMergedRead, lowerAtomic, lowerLoad, lowerStore, routeOf } from "./lower-memory.ts";
import { homeOf, identityHomes, type StackHomes } from "./stack-homes.ts";
import { Flag } from "../../hw-model/isa/opcode.ts";
import { X0 } from "../../hw-model/isa/register.ts";
import { scratchAddress } from "../../hw-model/exec/address.ts";
import { mergedReads } from "./packet-reads.ts";
import type { LoadInstruction } from "../ebpf/index.ts";
import { MBuilder, VBASE, isConst, val, type MBlock, type MTerm, type Src } from "./micro-ir.ts";
import { HOST_CUT_SLOT, HOST_DATA_SLOT, HOST_RANDOM_SLOT, type StackLayout } from "./stack-layout.ts";
import { Csr } from "../../hw-model/isa/csr.ts";
import { bytesToZero } from "./stack-init.ts";
import { STACK_FRAME_BYTES, slotFrame, slotOffset } from "./analysis.ts";

// Zeroes the words of a frame that hold bytes read before they are written: lm_st in local
// memory, one mem_wr of zero words per run of words in the scratch window.
const SCRATCH_ZERO_WORDS = 8;
function zeroStack(b: MBuilder, layout: StackLayout, homes: StackHomes, frame: number, bytes: bigint): void {
  if (bytes === 0n) return;
  let zero: number | undefined;
  const base = layout.base[frame];
  const bottom = STACK_FRAME_BYTES - layout.size[frame];
  let run: { start: number; words: number } | undefined;
  const flush = (): void => {
    if (!run) return;
    for (let w = 0; w < run.words; w++) b.mov(X0 + w, val(0));
    b.emit(Op.MEM_WR, { d: X0, a: b.materialize(scratchAddress(run.start)), imm: 0, c: 4 * run.words, x: MEM_SIGNAL, flags: Flag.LE | Flag.SWAP }, { kind: "scratch" });
    run = undefined;
  };
  for (let word = 0; word < layout.size[frame]; word += 4) {
    const mask = 0xfn << BigInt(bottom + word);
    if ((bytes & mask) === 0n) continue;
    const home = homeOf(layout, homes, frame, base + word);
    if (home.kind === "scratch") {
      if (run && run.start + 4 * run.words === home.offset && run.words < SCRATCH_ZERO_WORDS) run.words++;
      else {
        flush();
        run = { start: home.offset, words: 1 };
      }
      continue;
    }
    zero ??= b.materialize(0);
    b.emit(Op.LM_ST, { n: 0, imm: home.offset, a: zero, c: 4 });
  }
  flush();
}
// One eBPF register of frame 0 live where a packet moves to the host.
export interface HostRegister {
  readonly reg: number;
  readonly fact: AbsVal;
  readonly lo: Src;
  readonly hi: Src;
}

export interface HostCutSpec {
  readonly id: number;
  // The pc the host interpreter resumes at.
  readonly resumePc: number;
  readonly origin: Origin;
  readonly registers: readonly HostRegister[];
  // Live bytes of frame 0's stack (bit i: offset i - 512).
  readonly stackLive: bigint;
  // Frame-0 stack slots (offset from r10) holding a spilled pointer that must be translated.
  readonly pointerSlots: readonly { readonly offset: number; readonly fact: AbsVal }[];
}

export interface Lowered {
  readonly blocks: MBlock[];
  readonly entry: number;
  // IR block -> its first micro block (only blocks the NIC reaches).
  readonly irEntry: ReadonlyMap<number, number>;
  readonly hostCuts: readonly HostCutSpec[];
  readonly tempCount: number;
  // The code counts bpf_get_prandom_u32 draws in local memory.
  readonly countsRandomDraws: boolean;
  // Where the stack bytes live.
  readonly homes: StackHomes;
}

export class LoweringError extends Error {}

// Counts a random draw in local memory (the host continues the generator from there).
function countRandomDraw(b: MBuilder): void {
  const n = b.temp();
  b.emit(Op.LM_LD, { d: n, n: 0, imm: HOST_RANDOM_SLOT, c: 4 });
  const m = b.temp();
  b.emit(Op.ADD, { d: m, a: n, b: IMM, imm: 1 });
  b.emit(Op.LM_ST, { n: 0, imm: HOST_RANDOM_SLOT, a: m, c: 4 });
}

function lowerInsn(ctx: LowerCtx, insn: IrInsn, irBlock: number, zero: readonly bigint[]): void {
  switch (insn.kind) {
    case "call":
      // A new frame: registers start at 0 (r1..r5 are copied in next), stack bytes read before written at 0.
      for (const r of [0, 6, 7, 8, 9]) writePair(ctx, vreg(insn.calleeFrame, r), constPair(0n));
      zeroStack(ctx.b, ctx.layout, ctx.homes, insn.calleeFrame, zero[insn.calleeFrame] ?? 0n);
      return;
    case "opaque":
      throw new LoweringError(`pc ${insn.origin.pc}: an opaque instruction reached lowering`);
    case "helper": {
      const mapArg = mapArgOf(insn.helperId);
      const m = mapArg === undefined ? undefined : ctx.before.regs[insn.args[mapArg]];
      lowerHelper(ctx, insn, m?.k === "map" ? m.map : undefined);
      if (insn.helperId === HelperId.GET_PRANDOM_U32) countRandomDraw(ctx.b);
      return;
    }
    case "op": {
      const f = insn.form;
      switch (f.kind) {
        case "alu":
        case "neg":
        case "movsx":
        case "endian":
          lowerArithmetic(ctx, f, irBlock);
          return;
        case "load":
        case "storeImm":
        case "storeReg": {
          const baseReg = f.kind === "load" ? f.src : f.dst;
          const route = routeOf(ctx.before.regs[baseReg], f.off, f.sizeBytes, ctx.layout, ctx.homes);
          if (!route) throw new LoweringError(`pc ${insn.origin.pc}: no route for a memory access through ${ctx.before.regs[baseReg].k}`);
          if (f.kind === "load") lowerLoad(ctx, f, route);
          else lowerStore(ctx, f, route);
          return;
        }
        case "atomic": {
          const base = ctx.before.regs[f.dst];
          lowerAtomic(ctx, f, base.k === "value" ? { kind: "map", map: base.map } : { kind: "packet" });
          return;
        }
        case "lddw":
          if (f.pseudo === "imm64") writePair(ctx, f.dst, constPair((BigInt(f.nextImm >>> 0) << 32n) | BigInt(f.imm >>> 0)));
          else if (f.pseudo === "mapFd" || f.pseudo === "mapIdx") writePair(ctx, f.dst, constPair(BigInt(f.imm + 1)));
          else throw new LoweringError(`pc ${insn.origin.pc}: lddw ${f.pseudo} reached lowering`);
          return;
      }
    }
  }
}

const usesRandom = (fe: FrontEnd): boolean => fe.ir.blocks.some((b) => b.insns.some((i) => i.kind === "helper" && i.helperId === HelperId.GET_PRANDOM_U32));

// `homes`: where the stack bytes live (all in local memory at their layout place unless given).
export function lowerProgram(fe: FrontEnd, cuts: ReadonlyMap<number, number>, homes: StackHomes = identityHomes(fe.layout)): Lowered {
  const { ir, analysis, liveness, layout, maps } = fe;
  const b = new MBuilder(VBASE + 2 * ir.frames.length * REGS_PER_FRAME);
  const irEntry = new Map<number, number>();
  const hostCuts: HostCutSpec[] = [];
  const pending: number[] = [];
  const entryOf = (irBlock: number): number => {
    let id = irEntry.get(irBlock);
    if (id === undefined) {
      id = b.newBlock(irBlock);
      irEntry.set(irBlock, id);
      pending.push(irBlock);
    }
    return id;
  };
  const ctxAt = (before: AbsState, after: AbsState): LowerCtx => ({ b, before, after, layout, homes, maps });

  // Ends the current block with a move to the host at IR point (block, index).
  const toHost = (irBlock: number, index: number, origin: Origin, state: AbsState, nothingRan = false): void => {
    const live = liveness.liveBefore(irBlock, index);
    const ctx = ctxAt(state, state);
    const registers: HostRegister[] = [];
    for (let r = 0; r < FRAME_POINTER_REG; r++) {
      const v = vreg(0, r);
      if (!live.regs.has(v)) continue;
      const pair = readPair(ctx, v);
      registers.push({ reg: r, fact: state.regs[v], lo: pair.lo, hi: pair.hi });
    }
    const pointerSlots: { offset: number; fact: AbsVal }[] = [];
    for (const [key, fact] of state.slots) {
      if (slotFrame(key) !== 0 || !mayBePointer(fact)) continue;
      pointerSlots.push({ offset: slotOffset(key), fact });
    }
    const id = hostCuts.length;
    // When the NIC ran nothing, the host's own zeroed stack is the right one.
    hostCuts.push({ id, resumePc: origin.resumePc, origin, registers, stackLive: nothingRan ? 0n : (live.stack[0] ?? 0n), pointerSlots });
    b.origin = origin;
    const t = b.materialize(id);
    b.emit(Op.LM_ST, { n: 0, imm: HOST_CUT_SLOT, a: t, c: 4 });
    const data = b.temp();
    b.emit(Op.CSR_RD, { d: data, n: Csr.DATA });
    b.emit(Op.LM_ST, { n: 0, imm: HOST_DATA_SLOT, a: data, c: 4 });
    const uses: number[] = [];
    for (const r of registers) for (const s of [r.lo, r.hi]) if (!isConst(s)) uses.push(s.reg);
    b.end({ kind: "toHost", cut: id, uses });
  };

  // The prologue: the interpreter's initial state (registers other than r1 zero, stack bytes read before written zero).
  const zero = bytesToZero(ir, analysis, maps);
  const entry = b.newBlock(0);
  b.enter(entry);
  const start = ir.blocks[0].insns[0]?.origin;
  if (start) b.origin = start;
  const initial = analysis.before[0]?.[0];
  if (initial && cuts.get(0) === 0) {
    // The whole program runs on the host: leave at once, touching nothing.
    toHost(0, 0, ir.blocks[0].insns[0]?.origin ?? ir.blocks[0].term.origin ?? { pc: 0, frame: 0, resumePc: 0 }, initial, true);
    irEntry.set(0, entry);
    return { blocks: b.blocks, entry, irEntry, hostCuts, tempCount: b.tempCount, countsRandomDraws: false, homes };
  }
  if (initial) {
    const ctx0 = ctxAt(initial, initial);
    for (let r = 0; r < FRAME_POINTER_REG; r++) if (r !== 1) writePair(ctx0, vreg(0, r), constPair(0n));
  }
  zeroStack(b, layout, homes, 0, zero[0] ?? 0n);
  if (usesRandom(fe)) b.emit(Op.LM_ST, { n: 0, imm: HOST_RANDOM_SLOT, a: b.materialize(0), c: 4 });
  b.end({ kind: "goto", target: entryOf(0) });
  while (pending.length) {
    const id = pending.shift()!;
    const block = ir.blocks[id];
    const states = analysis.before[id];
    b.enter(irEntry.get(id)!);
    if (!states) {
      // Reached only through edges the analysis proved dead: never runs.
      b.end({ kind: "verdict", reg: -1, action: 0 });
      continue;
    }
    const cut = cuts.get(id);
    let ended = false;
    // Packet loads merged into one read: the first issues it, every member takes its value.
    const merged = mergedReads(block.insns, states, cut ?? block.insns.length);
    const groupOf = new Map<number, (typeof merged)[number]>();
    for (const m of merged) for (const i of m.members) groupOf.set(i, m);
    for (let i = 0; i < block.insns.length; i++) {
      if (cut === i) {
        toHost(id, i, block.insns[i].origin, states[i]);
        ended = true;
        break;
      }
      const insn = block.insns[i];
      b.origin = insn.origin;
      const ctx = ctxAt(states[i], states[i + 1]);
      const group = groupOf.get(i);
      if (group && insn.kind === "op" && insn.form.kind === "load") {
        const form: LoadInstruction = insn.form;
        if (group.members[0] === i) issueMergedRead(ctx, form.src, group.start, group.bytes, group.xbase);
        writePair(ctx, form.dst, extractMerged(ctx, group.xbase, form.off - group.start, form));
      } else lowerInsn(ctx, insn, id, zero);
    }
    if (ended) continue;
    const term = block.term;
    const last = states[block.insns.length];
    if (cut === block.insns.length && term.origin) {
      toHost(id, block.insns.length, term.origin, last);
      continue;
    }
    switch (term.kind) {
      case "goto":
        b.end({ kind: "goto", target: entryOf(term.target) });
        break;
      case "exit": {
        b.origin = term.origin;
        const r0 = readPair(ctxAt(last, last), term.value).lo;
        const t: MTerm = isConst(r0) ? { kind: "verdict", reg: -1, action: r0.value } : { kind: "verdict", reg: r0.reg };
        b.end(t);
        break;
      }
      case "stop":
        toHost(id, block.insns.length, term.origin, last);
        break;
      case "branch": {
        b.origin = term.origin;
        const takenDead = analysis.deadEdges.has(`${id}>${term.taken}`);
        const fallDead = analysis.deadEdges.has(`${id}>${term.fallthrough}`);
        if (takenDead && fallDead) toHost(id, block.insns.length, term.origin, last);
        else if (takenDead) b.end({ kind: "goto", target: entryOf(term.fallthrough) });
        else if (fallDead || term.taken === term.fallthrough) b.end({ kind: "goto", target: entryOf(term.taken) });
        else b.end(lowerBranch(ctxAt(last, last), term.cond, entryOf(term.taken), entryOf(term.fallthrough)));
        break;
      }
    }
  }
  return { blocks: b.blocks, entry, irEntry, hostCuts, tempCount: b.tempCount, countsRandomDraws: usesRandom(fe), homes };
}

export { S };
