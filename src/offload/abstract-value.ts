// What the compiler knows about one 64-bit register at one point: a scalar
// (the verifier's tnum + ranges domain, src/verifier/scalar.ts) or a pointer
// of one kind with an offset. The kind decides how a memory access is lowered
// (local memory for the stack, memory commands for packet and map values,
// status registers for the context) and how a register is translated when a
// packet moves to the host. `top` is a register whose kind differs between
// paths; `none` one that was never written.
import * as S from "../verifier/scalar.ts";
import type { Scalar } from "../verifier/scalar.ts";
import * as T from "../verifier/tnum.ts";

export type PacketBase = "data" | "end" | "meta";

export type AbsVal =
  | { readonly k: "none" }
  | { readonly k: "scalar"; readonly s: Scalar }
  | { readonly k: "ctx" }
  // off: bytes from the frame's top (r10), so negative inside the frame.
  | { readonly k: "stack"; readonly frame: number; readonly off: Scalar }
  // off: bytes from where the base pointer (xdp_md.data, .data_end, .data_meta) pointed when loaded.
  | { readonly k: "packet"; readonly base: PacketBase; readonly off: Scalar; readonly maybeNull?: boolean }
  | { readonly k: "value"; readonly map: number; readonly off: Scalar; readonly maybeNull: boolean }
  | { readonly k: "map"; readonly map: number }
  | { readonly k: "top" };

export const NONE: AbsVal = { k: "none" };
export const TOP: AbsVal = { k: "top" };
export const UNKNOWN: AbsVal = { k: "scalar", s: S.unknown };
export const scalar = (s: Scalar): AbsVal => ({ k: "scalar", s });
export const constant = (v: bigint): AbsVal => ({ k: "scalar", s: S.constant(v) });
export const ZERO_OFFSET = S.constant(0n);

export const isPointer = (v: AbsVal): boolean => v.k === "ctx" || v.k === "stack" || v.k === "packet" || v.k === "value" || v.k === "map";
// A pointer, or a value that is one on some path (its bytes differ between host and NIC).
export const mayBePointer = (v: AbsVal): boolean => isPointer(v) || v.k === "top";

export function joinScalar(a: Scalar, b: Scalar): Scalar {
  // One side holding the other is the common case at a fixpoint: the union is that side.
  if (S.covers(a, b)) return a;
  if (S.covers(b, a)) return b;
  return S.sync({
    bits: T.union(a.bits, b.bits),
    umin: a.umin < b.umin ? a.umin : b.umin,
    umax: a.umax > b.umax ? a.umax : b.umax,
    smin: a.smin < b.smin ? a.smin : b.smin,
    smax: a.smax > b.smax ? a.smax : b.smax,
    u32min: a.u32min < b.u32min ? a.u32min : b.u32min,
    u32max: a.u32max > b.u32max ? a.u32max : b.u32max,
    s32min: a.s32min < b.s32min ? a.s32min : b.s32min,
    s32max: a.s32max > b.s32max ? a.s32max : b.s32max,
  });
}

// Intersection of two sound descriptions of the same value (ours and the verifier's).
export function meetScalar(a: Scalar, b: Scalar): Scalar {
  // Already as narrow as the other description (every revisit after the first): nothing to intersect.
  if (S.covers(b, a)) return a;
  const bits = T.intersect(a.bits, b.bits);
  if (bits === undefined) return a;
  const met = S.sync({
    bits,
    umin: a.umin > b.umin ? a.umin : b.umin,
    umax: a.umax < b.umax ? a.umax : b.umax,
    smin: a.smin > b.smin ? a.smin : b.smin,
    smax: a.smax < b.smax ? a.smax : b.smax,
    u32min: a.u32min > b.u32min ? a.u32min : b.u32min,
    u32max: a.u32max < b.u32max ? a.u32max : b.u32max,
    s32min: a.s32min > b.s32min ? a.s32min : b.s32min,
    s32max: a.s32max < b.s32max ? a.s32max : b.s32max,
  });
  return S.isEmpty(met) ? a : met;
}

// Forgets the low word but keeps a known upper word (so "fits in 32 bits" survives a loop):
// ranges and tnums can otherwise grow one step per loop iteration.
const LOW_WORD = 0xffff_ffffn;
export function widenScalar(s: Scalar): Scalar {
  if (s.bits.mask >> 32n !== 0n) return S.unknown;
  return S.sync({ ...S.unknown, bits: T.tnum(s.bits.value & ~LOW_WORD, LOW_WORD) });
}

export function sameScalar(a: Scalar, b: Scalar): boolean {
  return (
    a.umin === b.umin && a.umax === b.umax && a.smin === b.smin && a.smax === b.smax &&
    a.u32min === b.u32min && a.u32max === b.u32max && a.s32min === b.s32min && a.s32max === b.s32max &&
    T.equals(a.bits, b.bits)
  );
}

export function sameVal(a: AbsVal, b: AbsVal): boolean {
  if (a === b) return true;
  switch (a.k) {
    case "none":
    case "ctx":
    case "top":
      return b.k === a.k;
    case "scalar":
      return b.k === "scalar" && sameScalar(a.s, b.s);
    case "stack":
      return b.k === "stack" && a.frame === b.frame && sameScalar(a.off, b.off);
    case "packet":
      return b.k === "packet" && a.base === b.base && (a.maybeNull ?? false) === (b.maybeNull ?? false) && sameScalar(a.off, b.off);
    case "value":
      return b.k === "value" && a.map === b.map && a.maybeNull === b.maybeNull && sameScalar(a.off, b.off);
    case "map":
      return b.k === "map" && a.map === b.map;
  }
}

const isZero = (v: AbsVal): boolean => v.k === "scalar" && S.constValue(v.s) === 0n;

export function joinVal(a: AbsVal, b: AbsVal): AbsVal {
  if (a.k === "none") return b;
  if (b.k === "none") return a;
  if (a.k === "top" || b.k === "top") return TOP;
  // A pointer on one path and NULL on another (a failed lookup, an unset header pointer).
  if ((a.k === "value" || a.k === "packet") && isZero(b)) return { ...a, maybeNull: true };
  if ((b.k === "value" || b.k === "packet") && isZero(a)) return { ...b, maybeNull: true };
  switch (a.k) {
    case "scalar":
      return b.k === "scalar" ? scalar(joinScalar(a.s, b.s)) : TOP;
    case "ctx":
      return b.k === "ctx" ? a : TOP;
    case "stack":
      return b.k === "stack" && b.frame === a.frame ? { ...a, off: joinScalar(a.off, b.off) } : TOP;
    case "packet":
      return b.k === "packet" && b.base === a.base ? { ...a, off: joinScalar(a.off, b.off), maybeNull: (a.maybeNull ?? false) || (b.maybeNull ?? false) } : TOP;
    case "value":
      return b.k === "value" && b.map === a.map ? { ...a, off: joinScalar(a.off, b.off), maybeNull: a.maybeNull || b.maybeNull } : TOP;
    case "map":
      return b.k === "map" && b.map === a.map ? a : TOP;
  }
}

export function widenVal(v: AbsVal): AbsVal {
  switch (v.k) {
    case "scalar":
      return scalar(widenScalar(v.s));
    case "stack":
    case "packet":
    case "value":
      return { ...v, off: widenScalar(v.off) };
    default:
      return v;
  }
}

export function describeVal(v: AbsVal): string {
  switch (v.k) {
    case "none":
      return "uninitialized";
    case "scalar": {
      const c = S.constValue(v.s);
      return c === undefined ? "scalar" : `scalar ${c}`;
    }
    case "ctx":
      return "context pointer";
    case "stack":
      return `stack pointer (frame ${v.frame})`;
    case "packet":
      return `${v.base === "end" ? "packet end pointer" : v.base === "meta" ? "packet metadata pointer" : "packet pointer"}${v.maybeNull ? " or NULL" : ""}`;
    case "value":
      return `map value pointer${v.maybeNull ? " or NULL" : ""} (map #${v.map})`;
    case "map":
      return `map #${v.map}`;
    case "top":
      return "a value whose kind differs between paths";
  }
}
