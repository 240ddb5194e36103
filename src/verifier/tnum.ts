// A tracked number ("tnum"): partial knowledge of a 64-bit value, bit by bit.
// `value` holds the bits known to be 1; `mask` has a 1 for every unknown bit.
// A bit set in both is impossible, so value & mask === 0 always holds.
// The concrete values a tnum stands for are { value | s : s ⊆ mask }.
// The operations are the abstract counterparts of the ALU ops: each result
// contains every concrete result the operands can produce (soundness), and is
// as tight as bit-level reasoning allows. Same lattice as the kernel's tnum.c.

export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

const U64 = (1n << 64n) - 1n;
const U32 = (1n << 32n) - 1n;
const wrap = (x: bigint): bigint => x & U64;

export const tnum = (value: bigint, mask: bigint): Tnum => ({ value: wrap(value) & ~wrap(mask) & U64, mask: wrap(mask) });
export const tnumConst = (value: bigint): Tnum => ({ value: wrap(value), mask: 0n });
export const tnumUnknown: Tnum = { value: 0n, mask: U64 };

export const isConst = (a: Tnum): boolean => a.mask === 0n;
export const isUnknown = (a: Tnum): boolean => a.mask === U64;
export const contains = (a: Tnum, x: bigint): boolean => (wrap(x) & ~a.mask & U64) === a.value;
export const equals = (a: Tnum, b: Tnum): boolean => a.value === b.value && a.mask === b.mask;

// The number of binary digits of x (0 < x < 2^64), as x.toString(2).length counts them.
function bitLength(x: bigint): number {
  const high = Number(x >> 32n);
  return high !== 0 ? 64 - Math.clz32(high) : 32 - Math.clz32(Number(x));
}

// The smallest tnum containing every value in [min, max] (unsigned).
export function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = wrap(min) ^ wrap(max);
  if (chi === 0n) return tnumConst(min);
  const bits = BigInt(bitLength(chi));
  if (bits > 63n) return tnumUnknown;
  const delta = (1n << bits) - 1n;
  return tnum(min & ~delta, delta);
}

export const umin = (a: Tnum): bigint => a.value;
export const umax = (a: Tnum): bigint => a.value | a.mask;

export function lshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return { value: wrap(a.value << s), mask: wrap(a.mask << s) };
}

export function rshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return { value: a.value >> s, mask: a.mask >> s };
}

// Arithmetic right shift of the low `width` bits (32 or 64), sign taken from bit width-1.
export function arshift(a: Tnum, shift: number, width: 32 | 64): Tnum {
  const w = BigInt(width);
  const s = BigInt(shift);
  const all = (1n << w) - 1n;
  const signed = (x: bigint): bigint => BigInt.asIntN(width, x);
  return {
    value: (signed(a.value) >> s) & all,
    mask: (signed(a.mask) >> s) & all,
  };
}

export function add(a: Tnum, b: Tnum): Tnum {
  const sm = wrap(a.mask + b.mask);
  const sv = wrap(a.value + b.value);
  const sigma = wrap(sm + sv);
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return { value: sv & ~mu & U64, mask: mu };
}

export function sub(a: Tnum, b: Tnum): Tnum {
  const dv = wrap(a.value - b.value);
  const alpha = wrap(dv + a.mask);
  const beta = wrap(dv - b.mask);
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return { value: dv & ~mu & U64, mask: mu };
}

export const neg = (a: Tnum): Tnum => sub(tnumConst(0n), a);

export function and(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return { value: v, mask: alpha & beta & ~v & U64 };
}

export function or(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return { value: v, mask: mu & ~v & U64 };
}

export function xor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return { value: v & ~mu & U64, mask: mu };
}

// Multiplication by long multiplication over the bits of `a`: known bits of
// `a` add the (shifted) b, unknown bits add b's uncertainty.
export function mul(a: Tnum, b: Tnum): Tnum {
  let acc: Tnum = tnumConst(wrap(a.value * b.value));
  let accMask: Tnum = tnumConst(0n);
  let av = a.value;
  let am = a.mask;
  let bb: Tnum = b;
  while (av !== 0n || am !== 0n) {
    if ((av & 1n) === 1n) accMask = add(accMask, { value: 0n, mask: bb.mask });
    else if ((am & 1n) === 1n) accMask = add(accMask, { value: 0n, mask: bb.value | bb.mask });
    av >>= 1n;
    am >>= 1n;
    bb = lshift(bb, 1);
  }
  acc = add(acc, accMask);
  return acc;
}

// The tnum of values both a and b admit (used when a branch proves two facts), or undefined if none.
export function intersect(a: Tnum, b: Tnum): Tnum | undefined {
  const known = ~a.mask & ~b.mask & U64;
  if (((a.value ^ b.value) & known) !== 0n) return undefined;
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return { value: v & ~mu & U64, mask: mu };
}

// The smallest tnum containing both (used when two paths join).
export function union(a: Tnum, b: Tnum): Tnum {
  const mu = a.mask | b.mask | (a.value ^ b.value);
  return { value: a.value & ~mu & U64, mask: mu };
}

// Keep only the low `bytes` bytes (a zero-extending load or a 32-bit op).
// The masks of the low 0..8 bytes.
const LOW_BYTES = Array.from({ length: 9 }, (_, bytes) => (1n << BigInt(bytes * 8)) - 1n);

export function cast(a: Tnum, bytes: number): Tnum {
  const keep = bytes >= 8 ? U64 : LOW_BYTES[bytes];
  return { value: a.value & keep, mask: a.mask & keep };
}

export const subreg = (a: Tnum): Tnum => cast(a, 4);

// Replace the low 32 bits of a with those of b.
const HIGH32 = ~U32 & U64;

export function withSubreg(a: Tnum, b: Tnum): Tnum {
  const hi = HIGH32;
  return { value: (a.value & hi) | (b.value & U32), mask: (a.mask & hi) | (b.mask & U32) };
}

// True when every value of `a` is also a value of `b` (a is at least as precise).
// (a's unknown bits and the bits where a's and b's values differ must all be unknown in b; values and masks are
// 64-bit unsigned with value & mask = 0; a fully unknown b, the usual case in a join, needs no arithmetic.)
export const isSubsetOf = (a: Tnum, b: Tnum): boolean => a === b || b.mask === U64 || (b.mask | a.mask | (a.value ^ b.value)) === b.mask;

export function isAligned(a: Tnum, size: number): boolean {
  return ((a.value | a.mask) & BigInt(size - 1)) === 0n;
}

// Kernel log format: "(0x0; 0xff)" value; mask.
export const format = (a: Tnum): string => `(0x${a.value.toString(16)}; 0x${a.mask.toString(16)})`;
