// bpf_csum_diff as Linux 6.18 computes it (net/core/filter.c, reworked in 6.13
// to give the same answer on every architecture):
//
//   ret = seed
//   if from and to:  ret = csum_sub(csum_partial(to, seed), csum_partial(from, 0))
//   else if to:      ret = csum_partial(to, seed)
//   else if from:    ret = ~csum_partial(from, ~seed)
//   return csum_from32to16(ret)
//
// csum_partial is the x86-64 one (arch/x86/lib/csum-partial_64.c): a 64-bit
// end-around-carry sum of little-endian words, folded to 32 bits the same way.
// Its result is the one's-complement sum modulo 2^32-1, represented in
// 1..2^32-1 unless every input (seed included) is zero.
import { isOutcome, readBytes } from "./args.ts";
import { returns, type HelperCall, type HelperOutcome } from "./runtime.ts";

const ONES32 = 0xffff_ffffn;

// The 32-bit partial checksum of `bytes` added to `seed` (x86-64 csum_partial).
export function csumPartial(bytes: Uint8Array, seed: number): number {
  let sum = BigInt(seed >>> 0);
  for (let i = 0; i < bytes.length; i++) sum += BigInt(bytes[i]) << BigInt(8 * (i % 4));
  if (sum === 0n) return 0;
  return Number(((sum - 1n) % ONES32) + 1n);
}

// 32-bit one's-complement addition with end-around carry (include/net/checksum.h csum_add).
export function csumAdd(a: number, b: number): number {
  const sum = (a >>> 0) + (b >>> 0);
  return sum > 0xffff_ffff ? sum - 0xffff_ffff : sum;
}

export const csumSub = (a: number, b: number): number => csumAdd(a, ~b >>> 0);

// lib/checksum.c csum_from32to16: end-around fold to 16 bits, not complemented.
export function csumFrom32To16(sum: number): number {
  const s = sum >>> 0;
  const folded = (s + (((s >>> 16) | (s << 16)) >>> 0)) >>> 0;
  return folded >>> 16;
}

export function csumDiffValue(from: Uint8Array, to: Uint8Array, seed: number): number {
  let ret = seed >>> 0;
  if (from.length > 0 && to.length > 0) ret = csumSub(csumPartial(to, ret), csumPartial(from, 0));
  else if (to.length > 0) ret = csumPartial(to, ret);
  else if (from.length > 0) ret = ~csumPartial(from, ~ret >>> 0) >>> 0;
  return csumFrom32To16(ret);
}

export function csumDiff(call: HelperCall): HelperOutcome {
  const [fromAddress, fromSize, toAddress, toSize, seed] = call.args;
  const from = readBytes(call, fromAddress, Number(BigInt.asUintN(32, fromSize)));
  if (isOutcome(from)) return from;
  const to = readBytes(call, toAddress, Number(BigInt.asUintN(32, toSize)));
  if (isOutcome(to)) return to;
  return returns(csumDiffValue(from, to, Number(BigInt.asUintN(32, seed))));
}
