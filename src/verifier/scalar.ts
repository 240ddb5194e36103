// What the verifier knows about a scalar register: its bits (a tnum) and
// four ranges — unsigned and signed, over the full 64 bits and over the low
// 32 bits. Each representation catches facts the others miss (a mask proves
// alignment, a signed compare proves a lower bound), so after every step they
// are reconciled with `sync`, as the kernel's reg_bounds_sync does.
// Invariant: every concrete value the register can hold satisfies all of them.

import * as T from "./tnum.ts";
import type { Tnum } from "./tnum.ts";

export interface Scalar {
  readonly bits: Tnum;
  readonly umin: bigint;
  readonly umax: bigint;
  readonly smin: bigint;
  readonly smax: bigint;
  readonly u32min: bigint;
  readonly u32max: bigint;
  readonly s32min: bigint;
  readonly s32max: bigint;
}

export const U64_MAX = (1n << 64n) - 1n;
export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const U32_MAX = (1n << 32n) - 1n;
export const S32_MIN = -(1n << 31n);
export const S32_MAX = (1n << 31n) - 1n;

// Constants of the bit manipulations below, made once.
const SIGN64 = 1n << 63n;
const SIGN32 = 1n << 31n;
const LOW63 = ~SIGN64 & U64_MAX;
const LOW31 = ~SIGN32 & U32_MAX;
const HIGH32 = ~U32_MAX & U64_MAX;

const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);
const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

export const unknown: Scalar = {
  bits: T.tnumUnknown,
  umin: 0n,
  umax: U64_MAX,
  smin: S64_MIN,
  smax: S64_MAX,
  u32min: 0n,
  u32max: U32_MAX,
  s32min: S32_MIN,
  s32max: S32_MAX,
};

export function constant(value: bigint): Scalar {
  const v = u64(value);
  return {
    bits: T.tnumConst(v),
    umin: v,
    umax: v,
    smin: s64(v),
    smax: s64(v),
    u32min: u32(v),
    u32max: u32(v),
    s32min: s32(v),
    s32max: s32(v),
  };
}

// An unknown value known to lie in [lo, hi] unsigned (e.g. a zero-extended load of `bytes`).
export const unsignedRange = (lo: bigint, hi: bigint): Scalar => sync({ ...unknown, umin: lo, umax: hi });

export const isConstant = (s: Scalar): boolean => T.isConst(s.bits);
export const constValue = (s: Scalar): bigint | undefined => (T.isConst(s.bits) ? s.bits.value : undefined);
export const isConstant32 = (s: Scalar): boolean => T.isConst(T.subreg(s.bits));

// An impossible state: a branch that cannot be taken produced it.
export function isEmpty(s: Scalar): boolean {
  return s.umin > s.umax || s.smin > s.smax || s.u32min > s.u32max || s.s32min > s.s32max;
}

export function contains(s: Scalar, value: bigint): boolean {
  const v = u64(value);
  const lo = u32(v);
  return (
    T.contains(s.bits, v) &&
    v >= s.umin &&
    v <= s.umax &&
    s64(v) >= s.smin &&
    s64(v) <= s.smax &&
    lo >= s.u32min &&
    lo <= s.u32max &&
    s32(lo) >= s.s32min &&
    s32(lo) <= s.s32max
  );
}

// Tighten each representation with what the others know, twice so facts flow both ways.
export function sync(s: Scalar): Scalar {
  let r = s;
  for (let round = 0; round < 2; round++) {
    const next = syncRound(r);
    // A round that changes nothing would change nothing the next time either (the steps read only the fields).
    if (sameFields(next, r)) return boundsFromBits(next);
    r = next;
  }
  return boundsFromBits(r);
}

function syncRound(s: Scalar): Scalar {
  return bitsFromBounds(deduceMixed(deduce64From32(deduce64(deduce32(boundsFromBits(s))))));
}

const sameFields = (a: Scalar, b: Scalar): boolean =>
  a.umin === b.umin && a.umax === b.umax && a.smin === b.smin && a.smax === b.smax &&
  a.u32min === b.u32min && a.u32max === b.u32max && a.s32min === b.s32min && a.s32max === b.s32max &&
  a.bits.value === b.bits.value && a.bits.mask === b.bits.mask;

function boundsFromBits(s: Scalar): Scalar {
  const { value, mask } = s.bits;
  const lo = T.subreg(s.bits);
  const sign64 = SIGN64;
  const sign32 = SIGN32;
  return {
    bits: s.bits,
    umin: max(s.umin, value),
    umax: min(s.umax, value | mask),
    smin: max(s.smin, s64(value | (mask & sign64))),
    smax: min(s.smax, s64(value | (mask & LOW63))),
    u32min: max(s.u32min, lo.value),
    u32max: min(s.u32max, lo.value | lo.mask),
    s32min: max(s.s32min, s32(lo.value | (lo.mask & sign32))),
    s32max: min(s.s32max, s32(lo.value | (lo.mask & LOW31))),
  };
}

function deduce32(s: Scalar): Scalar {
  let { u32min, u32max, s32min, s32max } = s;
  // The full 64-bit ranges pin the low half when the high half is fixed across them.
  if (s.umin >> 32n === s.umax >> 32n) {
    u32min = max(u32min, u32(s.umin));
    u32max = min(u32max, u32(s.umax));
    if (s32(s.umin) <= s32(s.umax)) {
      s32min = max(s32min, s32(s.umin));
      s32max = min(s32max, s32(s.umax));
    }
  }
  if (s.smin >> 32n === s.smax >> 32n) {
    if (s32(s.smin) <= s32(s.smax)) {
      s32min = max(s32min, s32(s.smin));
      s32max = min(s32max, s32(s.smax));
    }
    if (u32(s.smin) <= u32(s.smax)) {
      u32min = max(u32min, u32(s.smin));
      u32max = min(u32max, u32(s.smax));
    }
  }
  // The high halves are two consecutive numbers and the low halves go from negative to non-negative
  // (e.g. [-1, 1]): the low halves still form one s32 range (kernel __reg32_deduce_bounds).
  for (const [lo, hi] of [[s.umin, s.umax], [u64(s.smin), u64(s.smax)]]) {
    if (u32((lo >> 32n) + 1n) === u32(hi >> 32n) && s32(lo) < 0n && s32(hi) >= 0n) {
      s32min = max(s32min, s32(lo));
      s32max = min(s32max, s32(hi));
    }
  }
  // Unsigned and signed 32-bit ranges agree when the range does not cross the sign boundary.
  if (s32(u32min) <= s32(u32max)) {
    s32min = max(s32min, s32(u32min));
    s32max = min(s32max, s32(u32max));
  }
  if (u32(s32min) <= u32(s32max)) {
    u32min = max(u32min, u32(s32min));
    u32max = min(u32max, u32(s32max));
  }
  return { ...s, u32min, u32max, s32min, s32max };
}

function deduce64(s: Scalar): Scalar {
  let { umin, umax, smin, smax } = s;
  if (s64(umin) <= s64(umax)) {
    smin = max(smin, s64(umin));
    smax = min(smax, s64(umax));
  }
  if (u64(smin) <= u64(smax)) {
    umin = max(umin, u64(smin));
    umax = min(umax, u64(smax));
  }
  return { ...s, umin, umax, smin, smax };
}

// When the high 32 bits are the same at both ends of the unsigned range, the low half's range applies directly.
function deduce64From32(s: Scalar): Scalar {
  if (s.umin >> 32n !== s.umax >> 32n) return s;
  const hi = s.umin & HIGH32;
  const umin = max(s.umin, hi | s.u32min);
  const umax = min(s.umax, hi | s.u32max);
  return { ...s, umin, umax };
}

// kernel/bpf/verifier.c __reg_deduce_mixed_bounds: the low half's unsigned range substituted into both
// 64-bit bounds; and a 64-bit value inside the s32 range whose low half is non-negative is that low half.
function deduceMixed(s: Scalar): Scalar {
  if (isEmpty(s)) return s;
  const hi = HIGH32;
  let umin = max(s.umin, (s.umin & hi) | s.u32min);
  let umax = min(s.umax, (s.umax & hi) | s.u32max);
  let smin = max(s.smin, s64((u64(s.smin) & hi) | s.u32min));
  let smax = min(s.smax, s64((u64(s.smax) & hi) | s.u32max));
  let bits = s.bits;
  if (s.s32min >= 0n && smin >= S32_MIN && smax <= S32_MAX) {
    smin = s.s32min;
    smax = s.s32max;
    umin = s.s32min;
    umax = s.s32max;
    bits = T.intersect(bits, T.tnumRange(smin, smax)) ?? bits;
  }
  return { ...s, bits, umin, umax, smin, smax };
}

function bitsFromBounds(s: Scalar): Scalar {
  if (isEmpty(s)) return s;
  const full = T.intersect(s.bits, T.tnumRange(s.umin, s.umax)) ?? s.bits;
  const low = T.intersect(T.subreg(full), T.tnumRange(s.u32min, s.u32max)) ?? T.subreg(full);
  return { ...s, bits: T.withSubreg(full, low) };
}

// The result of a 32-bit ALU op: the low half, zero-extended to 64 bits.
export function zeroExtend32(s: Scalar): Scalar {
  return sync({
    bits: T.subreg(s.bits),
    umin: s.u32min,
    umax: s.u32max,
    smin: s.u32min,
    smax: s.u32max,
    u32min: s.u32min,
    u32max: s.u32max,
    s32min: s.s32min,
    s32max: s.s32max,
  });
}

// The low 32 bits viewed as a 64-bit value, for running a 32-bit op with 64-bit machinery.
function low32As64(s: Scalar): Scalar {
  return zeroExtend32(s);
}

export type AluName = "add" | "sub" | "mul" | "div" | "mod" | "sdiv" | "smod" | "or" | "and" | "lsh" | "rsh" | "arsh" | "xor" | "mov" | "neg";

// The abstract result of `dst op= src` for scalars at the given width.
export function alu(op: AluName, width: 32 | 64, dst: Scalar, src: Scalar): Scalar {
  const exact = constantAlu(op, width, dst, src);
  if (exact !== undefined) return constant(exact);
  if (width === 64) return alu64(op, dst, src);
  const a = low32As64(dst);
  const b = low32As64(src);
  const r = alu64Of32(op, a, b);
  return zeroExtend32(r);
}

// 32-bit ops computed on zero-extended operands; the low 32 bits of the 64-bit result are the answer.
function alu64Of32(op: AluName, a: Scalar, b: Scalar): Scalar {
  switch (op) {
    case "add":
    case "sub":
    case "mul":
    case "or":
    case "and":
    case "xor":
    case "mov":
    case "neg":
      // Exact in the low 32 bits: these ops' low result bits depend only on low operand bits.
      return wrap32(alu64(op, a, b));
    case "lsh":
    case "rsh":
    case "arsh": {
      const k = constValue(b);
      if (k === undefined || k >= 32n) return unknownLow32();
      if (op === "lsh") return wrap32(alu64("lsh", a, b));
      if (op === "rsh") return alu64("rsh", a, b);
      return arsh32(a, Number(k));
    }
    default:
      return unknownLow32();
  }
}

const unknownLow32 = (): Scalar => sync({ ...unknown, umax: U32_MAX });

// Reduce a 64-bit result to what its low 32 bits are known to be.
function wrap32(r: Scalar): Scalar {
  const bits = T.subreg(r.bits);
  // The 32-bit ranges survive only when the 64-bit range did not wrap in the low half.
  const fits = r.umax - r.umin <= U32_MAX && u32(r.umin) <= u32(r.umax);
  return sync({
    ...unknown,
    bits,
    umax: U32_MAX,
    u32min: fits ? u32(r.umin) : 0n,
    u32max: fits ? u32(r.umax) : U32_MAX,
  });
}

function arsh32(a: Scalar, k: number): Scalar {
  const bits = T.arshift(T.subreg(a.bits), k, 32);
  return sync({
    ...unknown,
    bits,
    umax: U32_MAX,
    s32min: a.s32min >> BigInt(k),
    s32max: a.s32max >> BigInt(k),
  });
}

function alu64(op: AluName, a: Scalar, b: Scalar): Scalar {
  switch (op) {
    case "mov":
      return b;
    case "add":
      return sync({
        bits: T.add(a.bits, b.bits),
        ...unsignedSum(a.umin + b.umin, a.umax + b.umax),
        ...signedSum(a.smin + b.smin, a.smax + b.smax),
        ...full32,
      });
    case "sub":
      return sync({
        bits: T.sub(a.bits, b.bits),
        ...(a.umin >= b.umax ? { umin: a.umin - b.umax, umax: a.umax - b.umin } : fullU64),
        ...signedSum(a.smin - b.smax, a.smax - b.smin),
        ...full32,
      });
    case "neg":
      return sync({ ...unknown, bits: T.neg(a.bits) });
    case "mul": {
      const hi = a.umax * b.umax;
      return sync({
        ...unknown,
        bits: T.mul(a.bits, b.bits),
        ...(hi <= U64_MAX ? { umin: a.umin * b.umin, umax: hi } : fullU64),
      });
    }
    case "and": {
      const bits = T.and(a.bits, b.bits);
      const nonNeg = a.smin >= 0n && b.smin >= 0n;
      return sync({ ...unknown, bits, umin: bits.value, umax: min(a.umax, b.umax), ...(nonNeg ? { smin: 0n } : {}) });
    }
    case "or": {
      const bits = T.or(a.bits, b.bits);
      return sync({ ...unknown, bits, umin: max(a.umin, b.umin), umax: bits.value | bits.mask });
    }
    case "xor": {
      const bits = T.xor(a.bits, b.bits);
      return sync({ ...unknown, bits, umin: bits.value, umax: bits.value | bits.mask });
    }
    case "lsh": {
      const k = constValue(b);
      if (k === undefined || k >= 64n) return unknown;
      const fits = a.umax << k <= U64_MAX;
      return sync({
        ...unknown,
        bits: T.lshift(a.bits, Number(k)),
        ...(fits ? { umin: a.umin << k, umax: a.umax << k } : {}),
      });
    }
    case "rsh": {
      const k = constValue(b);
      if (k === undefined || k >= 64n) return unknown;
      return sync({ ...unknown, bits: T.rshift(a.bits, Number(k)), umin: a.umin >> k, umax: a.umax >> k });
    }
    case "arsh": {
      const k = constValue(b);
      if (k === undefined || k >= 64n) return unknown;
      return sync({ ...unknown, bits: T.arshift(a.bits, Number(k), 64), smin: a.smin >> k, smax: a.smax >> k });
    }
    case "div":
    case "mod":
    case "sdiv":
    case "smod":
      return unknown;
    default: {
      const never: never = op;
      throw new Error(`unhandled ALU op ${String(never)}`);
    }
  }
}

const fullU64 = { umin: 0n, umax: U64_MAX };
const full32 = { u32min: 0n, u32max: U32_MAX, s32min: S32_MIN, s32max: S32_MAX };

function unsignedSum(lo: bigint, hi: bigint): { umin: bigint; umax: bigint } {
  return hi > U64_MAX ? fullU64 : { umin: lo, umax: hi };
}

function signedSum(lo: bigint, hi: bigint): { smin: bigint; smax: bigint } {
  return lo < S64_MIN || hi > S64_MAX ? { smin: S64_MIN, smax: S64_MAX } : { smin: lo, smax: hi };
}

// Sign- or zero-extension of the low `bytes` bytes (movsx, ldsx, or a narrowing load).
export function extend(s: Scalar, bytes: 1 | 2 | 4, signed: boolean): Scalar {
  const bits = bytes * 8;
  const c = constValue(s);
  if (c !== undefined) return constant(signed ? BigInt.asIntN(bits, c) : BigInt.asUintN(bits, c));
  const low = T.cast(s.bits, bytes);
  if (!signed) return sync({ ...unknown, bits: low, umax: (1n << BigInt(bits)) - 1n });
  const half = 1n << BigInt(bits - 1);
  // A value whose sign bit (at this width) is known clear extends the same either way.
  if ((low.value | low.mask) < half) return sync({ ...unknown, bits: low, umax: half - 1n });
  return sync({ ...unknown, smin: -half, smax: half - 1n });
}

export type CmpName = "eq" | "ne" | "gt" | "ge" | "lt" | "le" | "sgt" | "sge" | "slt" | "sle" | "set";

const negation: Readonly<Record<CmpName, CmpName | undefined>> = {
  eq: "ne",
  ne: "eq",
  gt: "le",
  ge: "lt",
  lt: "ge",
  le: "gt",
  sgt: "sle",
  sge: "slt",
  slt: "sge",
  sle: "sgt",
  set: undefined,
};

// What `a cmp b` being true (or false, when `taken` is false) teaches about a
// and b; undefined when that outcome is impossible.
export function refine(cmp: CmpName, width: 32 | 64, a: Scalar, b: Scalar, taken: boolean): [Scalar, Scalar] | undefined {
  const ca = constValue(a);
  const cb = constValue(b);
  if (ca !== undefined && cb !== undefined) return compareConstants(cmp, width, ca, cb) === taken ? [a, b] : undefined;
  if (!taken) {
    const opposite = negation[cmp];
    if (opposite !== undefined) return refine(opposite, width, a, b, true);
    return refineSet(width, a, b, false);
  }
  if (cmp === "set") return refineSet(width, a, b, true);
  const [ra, rb] = width === 64 ? refine64(cmp, a, b) : refine32(cmp, a, b);
  const sa = sync(ra);
  const sb = sync(rb);
  if (isEmpty(sa) || isEmpty(sb)) return undefined;
  return [sa, sb];
}

function refine64(cmp: CmpName, a: Scalar, b: Scalar): [Scalar, Scalar] {
  switch (cmp) {
    case "eq": {
      const bits = T.intersect(a.bits, b.bits);
      if (bits === undefined) return [{ ...a, umin: 1n, umax: 0n }, b];
      const both: Scalar = {
        bits,
        umin: max(a.umin, b.umin),
        umax: min(a.umax, b.umax),
        smin: max(a.smin, b.smin),
        smax: min(a.smax, b.smax),
        u32min: max(a.u32min, b.u32min),
        u32max: min(a.u32max, b.u32max),
        s32min: max(a.s32min, b.s32min),
        s32max: min(a.s32max, b.s32max),
      };
      return [both, both];
    }
    case "ne": {
      // Only a constant on one side at the edge of the other's range teaches anything.
      const cb = constValue(b);
      const ca = constValue(a);
      if (cb !== undefined && ca !== undefined && ca === cb) return [{ ...a, umin: 1n, umax: 0n }, b];
      return [excludeEdge(a, cb), excludeEdge(b, ca)];
    }
    case "gt":
      return [{ ...a, umin: max(a.umin, b.umin + 1n) }, { ...b, umax: min(b.umax, a.umax - 1n) }];
    case "ge":
      return [{ ...a, umin: max(a.umin, b.umin) }, { ...b, umax: min(b.umax, a.umax) }];
    case "lt":
      return [{ ...a, umax: min(a.umax, b.umax - 1n) }, { ...b, umin: max(b.umin, a.umin + 1n) }];
    case "le":
      return [{ ...a, umax: min(a.umax, b.umax) }, { ...b, umin: max(b.umin, a.umin) }];
    case "sgt":
      return [{ ...a, smin: max(a.smin, b.smin + 1n) }, { ...b, smax: min(b.smax, a.smax - 1n) }];
    case "sge":
      return [{ ...a, smin: max(a.smin, b.smin) }, { ...b, smax: min(b.smax, a.smax) }];
    case "slt":
      return [{ ...a, smax: min(a.smax, b.smax - 1n) }, { ...b, smin: max(b.smin, a.smin + 1n) }];
    case "sle":
      return [{ ...a, smax: min(a.smax, b.smax) }, { ...b, smin: max(b.smin, a.smin) }];
    case "set":
      return [a, b];
  }
}

function excludeEdge(s: Scalar, c: bigint | undefined): Scalar {
  if (c === undefined) return s;
  const v = u64(c);
  if (s.umin === v && s.umin < s.umax) return { ...s, umin: v + 1n };
  if (s.umax === v && s.umin < s.umax) return { ...s, umax: v - 1n };
  if (s.umin === v && s.umax === v) return { ...s, umin: 1n, umax: 0n };
  return s;
}

// 32-bit compares constrain only the low halves.
function refine32(cmp: CmpName, a: Scalar, b: Scalar): [Scalar, Scalar] {
  const la = low32As64(a);
  const lb = low32As64(b);
  // Signed 32-bit compares become signed 64-bit compares on sign-extended low halves.
  const signed = cmp === "sgt" || cmp === "sge" || cmp === "slt" || cmp === "sle";
  const ea = signed ? extend(la, 4, true) : la;
  const eb = signed ? extend(lb, 4, true) : lb;
  const [ra, rb] = refine64(cmp, ea, eb);
  return [mergeLow32(a, sync(ra), signed), mergeLow32(b, sync(rb), signed)];
}

// Put what was learned about the low half (held as a 64-bit value) back into a 64-bit scalar.
function mergeLow32(whole: Scalar, low: Scalar, signedView: boolean): Scalar {
  if (isEmpty(low)) return { ...whole, u32min: 1n, u32max: 0n };
  const lowBits = T.subreg(low.bits);
  const bits = T.intersect(T.subreg(whole.bits), lowBits);
  if (bits === undefined) return { ...whole, u32min: 1n, u32max: 0n };
  const range = signedView
    ? { s32min: max(whole.s32min, low.smin), s32max: min(whole.s32max, low.smax) }
    : { u32min: max(whole.u32min, low.umin), u32max: min(whole.u32max, low.umax) };
  return { ...whole, bits: T.withSubreg(whole.bits, bits), ...range };
}

function refineSet(width: 32 | 64, a: Scalar, b: Scalar, taken: boolean): [Scalar, Scalar] | undefined {
  const c = constValue(b);
  const keep = width === 64 ? U64_MAX : U32_MAX;
  const known = c === undefined ? undefined : c & keep;
  const aBits = width === 64 ? a.bits : T.subreg(a.bits);
  if (taken) {
    // a & b != 0 is impossible when no bit that may be set in a may be set in b.
    const mayA = aBits.value | aBits.mask;
    const mayB = c === undefined ? b.bits.value | b.bits.mask : (known as bigint);
    if ((mayA & mayB & keep) === 0n) return undefined;
    if (known !== undefined && known !== 0n && (known & (known - 1n)) === 0n) {
      const bits = T.intersect(a.bits, T.tnum(known, U64_MAX & ~known));
      if (bits === undefined) return undefined;
      return [sync({ ...a, bits }), b];
    }
    return [a, b];
  }
  if (known === undefined) return [a, b];
  // a & b == 0 with constant b: the bits of b are known clear in a.
  if ((aBits.value & known) !== 0n) return undefined;
  const bits = T.intersect(a.bits, T.tnum(0n, U64_MAX & ~known));
  if (bits === undefined) return undefined;
  // The kernel (regs_refine_cond_op) forgets the ranges here and keeps only the bits.
  return [sync({ ...unknown, bits }), b];
}

// `old` covers `cur`: every value cur admits, old admits (state pruning).
export function covers(old: Scalar, cur: Scalar): boolean {
  return (
    old.umin <= cur.umin &&
    old.umax >= cur.umax &&
    old.smin <= cur.smin &&
    old.smax >= cur.smax &&
    old.u32min <= cur.u32min &&
    old.u32max >= cur.u32max &&
    old.s32min <= cur.s32min &&
    old.s32max >= cur.s32max &&
    T.isSubsetOf(cur.bits, old.bits)
  );
}

// Kernel log style: "smin=..,smax=..,umin=..,umax=..,var_off=(..)" with only the informative parts.
export function format(s: Scalar): string {
  const c = constValue(s);
  if (c !== undefined) return `${s64(c)}`;
  const parts: string[] = [];
  if (s.smin !== S64_MIN) parts.push(`smin=${s.smin}`);
  if (s.smax !== S64_MAX) parts.push(`smax=${s.smax}`);
  if (s.umin !== 0n) parts.push(`umin=${s.umin}`);
  if (s.umax !== U64_MAX) parts.push(`umax=${s.umax}`);
  if (s.s32min !== S32_MIN) parts.push(`smin32=${s.s32min}`);
  if (s.s32max !== S32_MAX) parts.push(`smax32=${s.s32max}`);
  if (s.u32min !== 0n) parts.push(`umin32=${s.u32min}`);
  if (s.u32max !== U32_MAX) parts.push(`umax32=${s.u32max}`);
  if (!T.isUnknown(s.bits)) parts.push(`var_off=${T.format(s.bits)}`);
  return parts.join(",");
}

// coerce_reg_to_size: the low `bytes` bytes, zero-extended (a narrow load or fill).
// The unsigned bounds survive when both ends agree above those bytes.
export function truncate(s: Scalar, bytes: 1 | 2 | 4): Scalar {
  const mask = (1n << BigInt(bytes * 8)) - 1n;
  const bits = T.cast(s.bits, bytes);
  const keep = (s.umin & ~mask) === (s.umax & ~mask);
  const lo = keep ? s.umin & mask : 0n;
  const hi = keep ? s.umax & mask : mask;
  return sync({ ...unknown, bits, umin: lo, umax: hi, smin: lo, smax: hi });
}

// The values either path may produce (two states meeting at one instruction).
export function join(a: Scalar, b: Scalar): Scalar {
  return {
    bits: T.union(a.bits, b.bits),
    umin: min(a.umin, b.umin),
    umax: max(a.umax, b.umax),
    smin: min(a.smin, b.smin),
    smax: max(a.smax, b.smax),
    u32min: min(a.u32min, b.u32min),
    u32max: max(a.u32max, b.u32max),
    s32min: min(a.s32min, b.s32min),
    s32max: max(a.s32max, b.s32max),
  };
}

export function equalScalars(a: Scalar, b: Scalar): boolean {
  return (
    T.equals(a.bits, b.bits) && a.umin === b.umin && a.umax === b.umax && a.smin === b.smin && a.smax === b.smax &&
    a.u32min === b.u32min && a.u32max === b.u32max && a.s32min === b.s32min && a.s32max === b.s32max
  );
}

// Constant operands of the ops whose abstract result is exact anyway: computed directly (a fast path,
// giving what the general path gives). Division, modulo and over-wide shifts stay on the general path,
// which (like the kernel) knows nothing of their results.
function constantAlu(op: AluName, width: 32 | 64, dst: Scalar, src: Scalar): bigint | undefined {
  const x = constValue(dst);
  const y = constValue(src);
  if (y === undefined || (x === undefined && op !== "mov")) return undefined;
  const m = width === 64 ? U64_MAX : U32_MAX;
  const a = (x ?? 0n) & m;
  const b = y & m;
  const signedA = width === 64 ? s64(a) : s32(a);
  switch (op) {
    case "mov":
      return b;
    case "add":
      return (a + b) & m;
    case "sub":
      return (a - b) & m;
    case "mul":
      return (a * b) & m;
    case "or":
      return a | b;
    case "and":
      return a & b;
    case "xor":
      return a ^ b;
    case "neg":
      return -a & m;
    case "lsh":
      return b < BigInt(width) ? (a << b) & m : undefined;
    case "rsh":
      return b < BigInt(width) ? a >> b : undefined;
    case "arsh":
      return b < BigInt(width) ? (signedA >> b) & m : undefined;
    default:
      return undefined;
  }
}

function compareConstants(cmp: CmpName, width: 32 | 64, x: bigint, y: bigint): boolean {
  const m = width === 64 ? U64_MAX : U32_MAX;
  const a = x & m;
  const b = y & m;
  const sa = width === 64 ? s64(a) : s32(a);
  const sb = width === 64 ? s64(b) : s32(b);
  switch (cmp) {
    case "eq":
      return a === b;
    case "ne":
      return a !== b;
    case "gt":
      return a > b;
    case "ge":
      return a >= b;
    case "lt":
      return a < b;
    case "le":
      return a <= b;
    case "sgt":
      return sa > sb;
    case "sge":
      return sa >= sb;
    case "slt":
      return sa < sb;
    case "sle":
      return sa <= sb;
    case "set":
      return (a & b) !== 0n;
  }
}
