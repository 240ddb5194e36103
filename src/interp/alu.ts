// Arithmetic of the ALU and ALU64 classes as pure functions of the operands.
// Each rule is RFC 9669 §4.1 with the Linux kernel's choices where the RFC
// leaves room (kernel/bpf/core.c ___bpf_prog_run plus the verifier's
// div/mod fix-ups in kernel/bpf/verifier.c do_misc_fixups):
//   - division by zero gives 0; modulo by zero leaves dst unchanged
//     (for 32-bit ops: its low half, zero-extended);
//   - signed division by -1 is negation (INT_MIN / -1 == INT_MIN), signed
//     modulo by -1 is 0; signed modulo takes the dividend's sign;
//   - shift amounts are masked to 63 (64-bit) or 31 (32-bit);
//   - every 32-bit result is zero-extended into the 64-bit register.
import { AluOp, EndSource } from "../ebpf/opcode.ts";
import { byteSwap, s32, s64, signExtend, u32, u64 } from "./u64.ts";

// `off` selects the signed variant of div/mod (1) and the source width of movsx (8/16/32).
// Returns undefined for an operation/offset pair the ISA does not define.
export function alu64(op: number, dst: bigint, src: bigint, off: number): bigint | undefined {
  switch (op) {
    case AluOp.ADD:
      return u64(dst + src);
    case AluOp.SUB:
      return u64(dst - src);
    case AluOp.MUL:
      return u64(dst * src);
    case AluOp.DIV:
      if (off === 0) return src === 0n ? 0n : dst / src;
      if (off === 1) return signedDivide(s64(dst), s64(src), 64);
      return undefined;
    case AluOp.MOD:
      if (off === 0) return src === 0n ? dst : dst % src;
      if (off === 1) return signedModulo(s64(dst), s64(src), dst, 64);
      return undefined;
    case AluOp.OR:
      return dst | src;
    case AluOp.AND:
      return dst & src;
    case AluOp.XOR:
      return dst ^ src;
    case AluOp.LSH:
      return u64(dst << (src & 63n));
    case AluOp.RSH:
      return dst >> (src & 63n);
    case AluOp.ARSH:
      return u64(s64(dst) >> (src & 63n));
    case AluOp.NEG:
      return u64(-dst);
    case AluOp.MOV:
      if (off === 0) return src;
      if (off === 8 || off === 16 || off === 32) return signExtend(src, off);
      return undefined;
    default:
      return undefined;
  }
}

export function alu32(op: number, dst: bigint, src: bigint, off: number): bigint | undefined {
  const d = u32(dst);
  const s = u32(src);
  switch (op) {
    case AluOp.ADD:
      return u32(d + s);
    case AluOp.SUB:
      return u32(d - s);
    case AluOp.MUL:
      return u32(d * s);
    case AluOp.DIV:
      if (off === 0) return s === 0n ? 0n : d / s;
      if (off === 1) return signedDivide(s32(d), s32(s), 32);
      return undefined;
    case AluOp.MOD:
      if (off === 0) return s === 0n ? d : d % s;
      if (off === 1) return signedModulo(s32(d), s32(s), d, 32);
      return undefined;
    case AluOp.OR:
      return d | s;
    case AluOp.AND:
      return d & s;
    case AluOp.XOR:
      return d ^ s;
    case AluOp.LSH:
      return u32(d << (s & 31n));
    case AluOp.RSH:
      return d >> (s & 31n);
    case AluOp.ARSH:
      return u32(s32(d) >> (s & 31n));
    case AluOp.NEG:
      return u32(-d);
    case AluOp.MOV:
      if (off === 0) return s;
      // movsx into a 32-bit register: sign-extend to 32 bits, then zero-extend.
      if (off === 8 || off === 16) return u32(signExtend(s, off));
      return undefined;
    default:
      return undefined;
  }
}

// BigInt division truncates toward zero like C; only the wrap of INT_MIN / -1 needs care.
function signedDivide(dividend: bigint, divisor: bigint, bits: 32 | 64): bigint {
  const wrap = bits === 64 ? u64 : u32;
  if (divisor === 0n) return 0n;
  if (divisor === -1n) return wrap(-dividend);
  return wrap(dividend / divisor);
}

function signedModulo(dividend: bigint, divisor: bigint, unchanged: bigint, bits: 32 | 64): bigint {
  const wrap = bits === 64 ? u64 : u32;
  if (divisor === 0n) return unchanged;
  if (divisor === -1n) return 0n;
  return wrap(dividend % divisor);
}

// Byte-order instructions (RFC 9669 §4.2). In class ALU the source bit picks
// the target order (to-le truncates on our little-endian machine, to-be swaps);
// in class ALU64 with source K it is an unconditional swap (bswap).
// Returns undefined for a width other than 16/32/64 or ALU64 with source X.
export function byteOrder(is64: boolean, source: number, width: number, dst: bigint): bigint | undefined {
  if (width !== 16 && width !== 32 && width !== 64) return undefined;
  const low = BigInt.asUintN(width, dst);
  if (is64) return source === EndSource.TO_LE ? byteSwap(low, width) : undefined;
  return source === EndSource.TO_BE ? byteSwap(low, width) : low;
}
