// 64-bit register arithmetic on BigInt. A register always holds a value in
// [0, 2^64); signed views are taken only where an operation is signed, the way
// the kernel casts u64 to s64/s32 in ___bpf_prog_run (kernel/bpf/core.c).

export const MASK64 = (1n << 64n) - 1n;
export const MASK32 = (1n << 32n) - 1n;

export const u64 = (value: bigint): bigint => BigInt.asUintN(64, value);
export const u32 = (value: bigint): bigint => BigInt.asUintN(32, value);
export const s64 = (value: bigint): bigint => BigInt.asIntN(64, value);
export const s32 = (value: bigint): bigint => BigInt.asIntN(32, value);

// Sign-extends the low `bits` bits of value to 64 bits (movsx, ldxs*, imm).
export const signExtend = (value: bigint, bits: number): bigint => u64(BigInt.asIntN(bits, value));

// The immediate of an instruction as a 64-bit operand: sign-extended (RFC 9669 §3.3).
export const immAsU64 = (imm: number): bigint => u64(BigInt(imm | 0));

export function byteSwap(value: bigint, bits: 16 | 32 | 64): bigint {
  let swapped = 0n;
  for (let i = 0n; i < BigInt(bits); i += 8n) {
    swapped = (swapped << 8n) | ((value >> i) & 0xffn);
  }
  return swapped;
}

export const hex64 = (value: bigint): string => `0x${u64(value).toString(16)}`;
