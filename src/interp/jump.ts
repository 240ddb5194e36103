// Conditions of the JMP and JMP32 classes (RFC 9669 §4.3): JMP compares the
// full 64-bit registers, JMP32 only their low 32 bits; the `s` variants read
// the operands as two's-complement signed numbers of that width.
import { JmpOp } from "../ebpf/opcode.ts";
import { s32, s64, u32 } from "./u64.ts";

// Returns undefined for an op that is not a comparison.
export function condition(op: number, is32: boolean, dst: bigint, src: bigint): boolean | undefined {
  const a = is32 ? u32(dst) : dst;
  const b = is32 ? u32(src) : src;
  const sa = is32 ? s32(a) : s64(a);
  const sb = is32 ? s32(b) : s64(b);
  switch (op) {
    case JmpOp.JEQ:
      return a === b;
    case JmpOp.JNE:
      return a !== b;
    case JmpOp.JGT:
      return a > b;
    case JmpOp.JGE:
      return a >= b;
    case JmpOp.JLT:
      return a < b;
    case JmpOp.JLE:
      return a <= b;
    case JmpOp.JSET:
      return (a & b) !== 0n;
    case JmpOp.JSGT:
      return sa > sb;
    case JmpOp.JSGE:
      return sa >= sb;
    case JmpOp.JSLT:
      return sa < sb;
    case JmpOp.JSLE:
      return sa <= sb;
    default:
      return undefined;
  }
}
