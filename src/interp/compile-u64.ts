// 64-bit register values as two int32 halves (hi, lo), for the compiled tier.
// A register r holds hi = (r >> 32) | 0 and lo = r | 0, both as signed 32-bit
// JavaScript numbers, so every operation stays in V8's small-integer fast
// paths. Operations that yield two halves write them to PAIR ([hi, lo]) and
// the caller reads them back at once (one thread: nothing runs in between).
// The rare 64-bit operations with no cheap 32-bit form (signed and wide
// division) go through the reference interpreter's own BigInt arithmetic.
import { alu32, alu64 } from "./alu.ts";

export const PAIR = new Int32Array(2);

const TWO_32 = 4294967296;
// Below 2^53 a BigInt and a double convert exactly.
const SAFE_HI_LIMIT = 0x200000;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function pairToBig(hi: number, lo: number): bigint {
  const high = hi >>> 0;
  if (high < SAFE_HI_LIMIT) return BigInt(high * TWO_32 + (lo >>> 0));
  return (BigInt(high) << 32n) | BigInt(lo >>> 0);
}

// `value` must be in [0, 2^64).
export function bigToPair(value: bigint): void {
  if (value <= MAX_SAFE) {
    const n = Number(value);
    PAIR[0] = n / TWO_32;
    PAIR[1] = n;
    return;
  }
  PAIR[0] = Number(value >> 32n);
  PAIR[1] = Number(value & 0xffff_ffffn);
}

// The high 32 bits of the unsigned product a * b, from 16-bit limbs (every partial product is exact in a double).
function mulHigh32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const cross1 = a0 * b1;
  const cross2 = a1 * b0;
  const middle = ((a0 * b0) >>> 16) + (cross1 & 0xffff) + (cross2 & 0xffff);
  return (a1 * b1 + (cross1 >>> 16) + (cross2 >>> 16) + (middle >>> 16)) | 0;
}

export function mul64(ahi: number, alo: number, bhi: number, blo: number): void {
  PAIR[0] = mulHigh32(alo, blo) + Math.imul(ahi, blo) + Math.imul(alo, bhi);
  PAIR[1] = Math.imul(alo, blo);
}

// Shift amounts are already masked to 0..63.
export function shiftLeft64(hi: number, lo: number, n: number): void {
  if (n === 0) {
    PAIR[0] = hi;
    PAIR[1] = lo;
  } else if (n < 32) {
    PAIR[0] = (hi << n) | (lo >>> (32 - n));
    PAIR[1] = lo << n;
  } else {
    PAIR[0] = lo << (n - 32);
    PAIR[1] = 0;
  }
}

export function shiftRight64(hi: number, lo: number, n: number): void {
  if (n === 0) {
    PAIR[0] = hi;
    PAIR[1] = lo;
  } else if (n < 32) {
    PAIR[0] = hi >>> n;
    PAIR[1] = (lo >>> n) | (hi << (32 - n));
  } else {
    PAIR[0] = 0;
    PAIR[1] = hi >>> (n - 32);
  }
}

export function shiftRightArith64(hi: number, lo: number, n: number): void {
  if (n === 0) {
    PAIR[0] = hi;
    PAIR[1] = lo;
  } else if (n < 32) {
    PAIR[0] = hi >> n;
    PAIR[1] = (lo >>> n) | (hi << (32 - n));
  } else {
    PAIR[0] = hi >> 31;
    PAIR[1] = hi >> (n - 32);
  }
}

export function byteSwap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

export const byteSwap16 = (x: number): number => ((x & 0xff) << 8) | ((x >>> 8) & 0xff);

// Unsigned 64-bit division and modulo when both operands fit 32 bits are plain
// double arithmetic; wider operands and the signed forms use the reference's BigInt code.
export function aluWide(op: number, is64: boolean, off: number, dhi: number, dlo: number, shi: number, slo: number): void {
  const dst = pairToBig(dhi, dlo);
  const src = pairToBig(shi, slo);
  const result = is64 ? alu64(op, dst, src, off) : alu32(op, dst, src, off);
  // The compiler only sends operations the reference defines here.
  bigToPair(result ?? 0n);
}
