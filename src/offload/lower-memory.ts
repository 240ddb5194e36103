// Lowering of loads, stores and atomics, by what the base register points at:
//   stack      local memory (lm_ld/lm_st). Bytes keep eBPF (little-endian)
//              order while lm_ld/lm_st move big-endian words, so every 2- and
//              4-byte access swaps bytes in registers (constants are swapped
//              at compile time). A constant offset addresses through l0 (0);
//              a variable one loads l1 with the pointer first.
//   packet,    memory commands with the little-endian flag, so memory order
//   map value  and eBPF order agree without a swap; the thread waits in place.
//   context    the per-packet status registers (xdp_md fields).
// Stack bytes that stack-homes.ts moved to the thread's scratch window are
// reached with memory commands too (little-endian flag, like map values): at a
// constant address for a constant offset, or the pointer plus the frame's
// constant distance to its home when the offset varies (such frames move whole).
import { Csr } from "../../hw-model/isa/csr.ts";
import { Flag, Op } from "../../hw-model/isa/opcode.ts";
import { X0 } from "../../hw-model/isa/register.ts";
import type { AtomicInstruction, LoadInstruction, StoreImmInstruction, StoreRegInstruction } from "../ebpf/index.ts";
import { immAsU64 } from "../interp/u64.ts";
import * as S from "../verifier/scalar.ts";
import type { AbsVal } from "./abstract-value.ts";
import { stackOffset } from "./analysis.ts";
import { bswap16, bswap32 } from "./lower-alu.ts";
import { activeMutant } from "./mutants.ts";
import { constPair, readPair, writePair, type LowerCtx, type Pair } from "./lower-context.ts";
import { constOf, hiOf, loOf, reg, val, type MBuilder, type MemTarget, type Src } from "./micro-ir.ts";
import { frameTop, type StackLayout } from "./stack-layout.ts";
import { spanHome, wholeFrameDelta, type StackHomes } from "./stack-homes.ts";
import { scratchAddress } from "../../hw-model/exec/address.ts";

// Signal the compiler's memory commands use (waited for in the same instruction).
export const MEM_SIGNAL = 0;
const XFER0 = X0;

// The xdp_md field at each offset (include/uapi/linux/bpf.h) and the status register holding it.
export const contextCsr: ReadonlyMap<number, number> = new Map([
  [0, Csr.DATA],
  [4, Csr.DATA_END],
  [8, Csr.DATA_META],
  [12, Csr.INGRESS_IFINDEX],
  [16, Csr.RX_QUEUE_INDEX],
]);

export type AccessRoute =
  | { readonly kind: "lm-fixed"; readonly lmOffset: number }
  // lmDelta: added to the pointer for the local-memory offset of the frame's home.
  | { readonly kind: "lm-dynamic"; readonly lmDelta: number }
  // A constant `address` (scratch bytes at a known offset) or the base register plus `delta`.
  | { readonly kind: "memory"; readonly target: MemTarget; readonly address?: number; readonly delta?: number }
  | { readonly kind: "context" };

// How an access of `bytes` through a base of this kind is lowered; undefined when the NIC cannot do it.
export function routeOf(base: AbsVal, off: number, bytes: number, layout: StackLayout, homes: StackHomes): AccessRoute | undefined {
  switch (base.k) {
    case "stack": {
      const at = stackOffset(base, off);
      if (at === undefined) {
        const delta = wholeFrameDelta(layout, homes, base.frame);
        return homes.frames[base.frame].scratchBytes === 0 ? { kind: "lm-dynamic", lmDelta: delta } : { kind: "memory", target: { kind: "scratch" }, delta };
      }
      const home = spanHome(layout, homes, base.frame, frameTop(layout, base.frame) + at, bytes);
      if (!home) return undefined;
      return home.kind === "lm" ? { kind: "lm-fixed", lmOffset: home.offset } : { kind: "memory", target: { kind: "scratch" }, address: scratchAddress(home.offset) };
    }
    case "packet":
      return { kind: "memory", target: { kind: "packet" } };
    case "value":
      return { kind: "memory", target: { kind: "map", map: base.map } };
    case "ctx":
      return { kind: "context" };
    default:
      return undefined;
  }
}

// Words of an access: [byte offset, width] pieces of at most 4 bytes.
const pieces = (bytes: number): [number, 1 | 2 | 4][] => (bytes === 8 ? [[0, 4], [4, 4]] : [[0, bytes as 1 | 2 | 4]]);

// The eBPF-order value of `width` bytes from the big-endian register an lm_ld produced.
function fromLm(b: MBuilder, r: number, width: 1 | 2 | 4): Src {
  if (width === 1) return reg(r);
  return width === 2 ? bswap16(b, reg(r)) : bswap32(b, reg(r));
}

function toLm(b: MBuilder, v: Src, width: 1 | 2 | 4): Src {
  if (width === 1) return v;
  return width === 2 ? bswap16(b, v) : bswap32(b, v);
}

// Sets l1 to the pointer for a variable-offset stack access; returns the index register to use.
// With a fixed route l0 (always 0) plus the absolute offset; otherwise l1 = the pointer, plus the instruction's offset.
function lmIndex(ctx: LowerCtx, base: Src, route: AccessRoute, insnOff: number): { index: number; off: number } {
  if (route.kind === "lm-fixed") return { index: 0, off: route.lmOffset };
  const delta = route.kind === "lm-dynamic" ? route.lmDelta : 0;
  ctx.b.emit(Op.LM_BASE, { n: 1, a: ctx.b.inReg(base) });
  return { index: 1, off: insnOff + delta };
}

// The address register and offset of a memory-command access.
function memoryAddress(ctx: LowerCtx, base: Src, route: AccessRoute & { kind: "memory" }, insnOff: number): { a: number; imm: number } {
  const b = ctx.b;
  if (route.address !== undefined) return { a: b.materialize(route.address), imm: 0 };
  if (!route.delta) return { a: b.inReg(base), imm: insnOff };
  const t = b.temp();
  b.emit(Op.ADD, { d: t, a: b.inReg(base), b: b.materialize(route.delta) });
  return { a: t, imm: insnOff };
}

function signExtendWord(b: MBuilder, x: Src, bytes: 1 | 2 | 4): Pair {
  if (bytes === 4) {
    const hi = b.temp();
    b.shift(Op.ASR, hi, x, 31);
    return { lo: x, hi: reg(hi) };
  }
  const t = b.temp();
  b.shift(Op.SHL, t, x, 32 - 8 * bytes);
  const lo = b.temp();
  b.shift(Op.ASR, lo, reg(t), 32 - 8 * bytes);
  const hi = b.temp();
  b.shift(Op.ASR, hi, reg(lo), 31);
  return { lo: reg(lo), hi: reg(hi) };
}

export function lowerLoad(ctx: LowerCtx, f: LoadInstruction, route: AccessRoute): void {
  const b = ctx.b;
  const base = readPair(ctx, f.src);
  let value: Pair;
  switch (route.kind) {
    case "context": {
      const csr = contextCsr.get(f.off);
      const t = b.temp();
      if (csr === undefined) b.materialize(0, t);
      else b.emit(Op.CSR_RD, { d: t, n: csr });
      value = { lo: reg(t), hi: val(0) };
      break;
    }
    case "memory": {
      const { a, imm } = memoryAddress(ctx, base.lo, route, f.off);
      b.emit(Op.MEM_RD, { d: XFER0, a, imm, c: f.sizeBytes, x: MEM_SIGNAL, flags: Flag.LE | Flag.SWAP }, route.target);
      const lo = b.temp();
      b.emit(Op.MOV, { d: lo, b: XFER0 });
      let hi: Src = val(0);
      if (f.sizeBytes === 8) {
        const h = b.temp();
        b.emit(Op.MOV, { d: h, b: XFER0 + 1 });
        hi = reg(h);
      }
      value = { lo: activeMutant() === "load-missing-byte-swap" && f.sizeBytes === 4 ? bswap32(b, reg(lo)) : activeMutant() === "load-missing-byte-swap" && f.sizeBytes === 2 ? bswap16(b, reg(lo)) : reg(lo), hi };
      break;
    }
    case "lm-fixed":
    case "lm-dynamic": {
      const { index, off } = lmIndex(ctx, base.lo, route, f.off);
      const words = pieces(f.sizeBytes).map(([at, width]) => {
        const t = b.temp();
        b.emit(Op.LM_LD, { d: t, n: index, imm: off + at, c: width });
        return fromLm(b, t, width);
      });
      value = { lo: words[0], hi: words[1] ?? val(0) };
      break;
    }
  }
  if (f.signed && f.sizeBytes !== 8) value = signExtendWord(b, value.lo, f.sizeBytes as 1 | 2 | 4);
  writePair(ctx, f.dst, value);
}

function storeValue(ctx: LowerCtx, f: StoreImmInstruction | StoreRegInstruction): Pair {
  return f.kind === "storeImm" ? constPair(immAsU64(f.imm)) : readPair(ctx, f.src);
}

export function lowerStore(ctx: LowerCtx, f: StoreImmInstruction | StoreRegInstruction, route: AccessRoute): void {
  const b = ctx.b;
  const base = readPair(ctx, f.dst);
  const v = storeValue(ctx, f);
  switch (route.kind) {
    case "context":
      throw new Error("stores to the context are blocked before lowering");
    case "memory": {
      const { a, imm } = memoryAddress(ctx, base.lo, route, f.off);
      b.mov(XFER0, v.lo);
      if (f.sizeBytes === 8) b.mov(XFER0 + 1, v.hi);
      b.emit(Op.MEM_WR, { d: XFER0, a, imm, c: f.sizeBytes, x: MEM_SIGNAL, flags: Flag.LE | Flag.SWAP }, route.target);
      return;
    }
    case "lm-fixed":
    case "lm-dynamic": {
      const words = pieces(f.sizeBytes).map(([at, width]) => ({ at, width, value: toLm(b, at === 0 ? v.lo : v.hi, width) }));
      const { index, off } = lmIndex(ctx, base.lo, route, f.off);
      for (const w of words) {
        b.emit(Op.LM_ST, { n: index, imm: off + w.at, a: b.inReg(w.value), c: w.width });
      }
      return;
    }
  }
}

// Atomic add on a map value: mem_add (or mem_tadd when the old value is fetched).
export function lowerAtomic(ctx: LowerCtx, f: AtomicInstruction, target: MemTarget): void {
  const b = ctx.b;
  const base = readPair(ctx, f.dst);
  const v = readPair(ctx, f.src);
  b.mov(XFER0, v.lo);
  if (f.sizeBytes === 8) b.mov(XFER0 + 1, v.hi);
  const op = f.fetch ? Op.MEM_TADD : Op.MEM_ADD;
  b.emit(op, { d: XFER0, a: b.inReg(base.lo), imm: f.off, c: activeMutant() === "atomic64-as-32" ? 4 : f.sizeBytes, x: MEM_SIGNAL, flags: Flag.LE | Flag.SWAP });
  if (!f.fetch) return;
  const lo = b.temp();
  b.emit(Op.MOV, { d: lo, b: XFER0 });
  let hi: Src = val(0);
  if (f.sizeBytes === 8) {
    const h = b.temp();
    b.emit(Op.MOV, { d: h, b: XFER0 + 1 });
    hi = reg(h);
  }
  writePair(ctx, f.src, { lo: reg(lo), hi });
}


export { constOf, hiOf, loOf, S };

// One merged packet read (packet-reads.ts): the span read into transfer registers xbase..
// (words in little-endian order: x[k] holds span bytes 4k..4k+3). The registers are the
// group's own until its last load, so each load takes its bytes out where it stands.
export function issueMergedRead(ctx: LowerCtx, baseReg: number, start: number, bytes: number, xbase: number): void {
  const b = ctx.b;
  const addr = b.inReg(readPair(ctx, baseReg).lo);
  const whole = bytes & ~3;
  const tail = bytes - whole;
  if (whole) b.emit(Op.MEM_RD, { d: X0 + xbase, a: addr, imm: start, c: whole, x: MEM_SIGNAL, flags: Flag.LE | Flag.SWAP }, { kind: "packet" });
  if (tail) b.emit(Op.MEM_RD, { d: X0 + xbase + whole / 4, a: addr, imm: start + whole, c: tail, x: MEM_SIGNAL, flags: Flag.LE | Flag.SWAP }, { kind: "packet" });
}

// The value of a load at span offset `o` from a merged read's transfer registers.
export function extractMerged(ctx: LowerCtx, xbase: number, o: number, form: LoadInstruction): Pair {
  const b = ctx.b;
  const x = (k: number): number => X0 + xbase + k;
  const word = (at: number): Src => {
    const k = at >> 2;
    const r = at & 3;
    const t = b.temp();
    if (r === 0) b.emit(Op.MOV, { d: t, b: x(k) });
    else b.emit(Op.DBL_SHR, { d: t, a: x(k + 1), b: x(k), imm: 8 * r });
    return reg(t);
  };
  const k = o >> 2;
  const r = o & 3;
  let value: Pair;
  switch (form.sizeBytes) {
    case 8:
      value = { lo: word(o), hi: word(o + 4) };
      break;
    case 4:
      value = { lo: word(o), hi: val(0) };
      break;
    case 1: {
      const t = b.temp();
      b.emit(Op.BYTE_EXT, { d: t, a: x(k), imm: r });
      value = { lo: reg(t), hi: val(0) };
      break;
    }
    case 2: {
      const t = b.temp();
      if (r === 2) b.emit(Op.SHR, { d: t, a: x(k), imm: 16 });
      else if (r === 0) b.emit(Op.AND, { d: t, a: x(k), b: b.materialize(0xffff) });
      else {
        const w = b.temp();
        if (r === 1) b.emit(Op.SHL, { d: w, a: x(k), imm: 8 });
        else b.emit(Op.DBL_SHR, { d: w, a: x(k + 1), b: x(k), imm: 24 });
        b.emit(r === 1 ? Op.SHR : Op.AND, r === 1 ? { d: t, a: w, imm: 16 } : { d: t, a: w, b: b.materialize(0xffff) });
      }
      value = { lo: reg(t), hi: val(0) };
      break;
    }
  }
  return form.signed && form.sizeBytes !== 8 ? signExtendWord(b, value.lo, form.sizeBytes as 1 | 2 | 4) : value;
}
