// What every lowering rule works with: the builder, the facts before the
// instruction being lowered (and after it), and the stack layout. Operands are
// read through the facts: a register known to be constant is a constant, and
// the upper word of a value known to fit 32 bits is the constant 0, so the
// 64-bit rules shrink to 32-bit code wherever the analysis allows. Results are
// always written to both words (DCE later removes words nobody reads).
import { localAddress } from "../../hw-model/exec/address.ts";
import type { MapDef } from "../maps/types.ts";
import * as S from "../verifier/scalar.ts";
import type { AbsVal } from "./abstract-value.ts";
import type { AbsState } from "./analysis.ts";
import { FRAME_POINTER_REG, frameOf, regOf, type VReg } from "./ir.ts";
import { MBuilder, hiOf, isConst, loOf, reg, val, type Src } from "./micro-ir.ts";
import { frameTop, type StackLayout } from "./stack-layout.ts";
import type { StackHomes } from "./stack-homes.ts";

export interface LowerCtx {
  readonly b: MBuilder;
  readonly before: AbsState;
  readonly after: AbsState;
  readonly layout: StackLayout;
  // Where each stack byte lives (local memory or the scratch window).
  readonly homes: StackHomes;
  readonly maps: readonly MapDef[];
}

export interface Pair {
  readonly lo: Src;
  readonly hi: Src;
}

const M32 = 0xffffffffn;

export function constPair(value: bigint): Pair {
  const v = BigInt.asUintN(64, value);
  return { lo: val(Number(v & M32)), hi: val(Number(v >> 32n)) };
}

// The NIC value of a stack pointer with a known offset: a local-memory address. It is computed
// linearly (not masked into the region), so a pointer below the frame that only the host
// dereferences keeps its distance from r10.
export function stackAddress(layout: StackLayout, frame: number, off: number): number {
  return localAddress(0) + frameTop(layout, frame) + off;
}

export function factOf(state: AbsState, v: VReg): AbsVal {
  return state.regs[v];
}

// The known upper word of a fact, if any (pointers are 32-bit model addresses: upper word 0).
function knownHigh(f: AbsVal): number | undefined {
  switch (f.k) {
    case "scalar": {
      const s = f.s;
      if (s.umax <= M32) return 0;
      if (s.smin >= S.S32_MIN && s.smax < 0n) return 0xffffffff;
      const c = S.constValue(s);
      return c === undefined ? undefined : Number(c >> 32n);
    }
    case "ctx":
    case "stack":
    case "packet":
    case "value":
    case "map":
      return 0;
    default:
      return undefined;
  }
}

// A 64-bit register as two 32-bit operands, constants where the facts allow.
export function readPair(ctx: LowerCtx, v: VReg, state: AbsState = ctx.before): Pair {
  if (regOf(v) === FRAME_POINTER_REG) return constPair(BigInt(stackAddress(ctx.layout, frameOf(v), 0)));
  const f = state.regs[v];
  if (f.k === "scalar") {
    const c = S.constValue(f.s);
    if (c !== undefined) return constPair(c);
  }
  if (f.k === "stack") {
    const c = S.constValue(f.off);
    if (c !== undefined) return constPair(BigInt(stackAddress(ctx.layout, f.frame, 0)) + BigInt.asIntN(64, c));
  }
  if (f.k === "ctx" || f.k === "map") return { lo: val(f.k === "map" ? f.map + 1 : 0), hi: val(0) };
  const hi = knownHigh(f);
  return { lo: reg(loOf(v)), hi: hi === undefined ? reg(hiOf(v)) : val(hi) };
}

// The low word only (for 32-bit operations).
export const readLo = (ctx: LowerCtx, v: VReg): Src => readPair(ctx, v).lo;

// The value the facts after the instruction give the destination, when they pin it down.
export function resultConst(ctx: LowerCtx, v: VReg): bigint | undefined {
  const f = ctx.after.regs[v];
  return f?.k === "scalar" ? S.constValue(f.s) : undefined;
}

export function resultHigh(ctx: LowerCtx, v: VReg): number | undefined {
  const f = ctx.after.regs[v];
  return f ? knownHigh(f) : undefined;
}

// Writes both words; the order (or a temporary) keeps a word that the other reads from being clobbered first.
export function writePair(ctx: LowerCtx, v: VReg, value: Pair): void {
  const b = ctx.b;
  const reads = (s: Src, r: number): boolean => !isConst(s) && s.reg === r;
  let { lo, hi } = value;
  if (reads(hi, loOf(v)) && reads(lo, hiOf(v))) {
    const t = b.temp();
    b.mov(t, lo);
    lo = reg(t);
  }
  if (reads(hi, loOf(v))) {
    b.mov(hiOf(v), hi);
    b.mov(loOf(v), lo);
    return;
  }
  b.mov(loOf(v), lo);
  b.mov(hiOf(v), hi);
}
