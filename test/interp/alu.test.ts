// One test per semantic rule of RFC 9669 / the Linux kernel, each expectation
// worked out by hand from the rule it names (see the comment on each row).
import { describe, expect, it } from "vitest";
import type { Insn } from "../../src/ebpf/instruction.ts";
import { AluOp, AtomicOp, Class, EndSource, JmpOp, Size } from "../../src/ebpf/opcode.ts";
import { insn } from "../../src/ebpf/instruction.ts";
import { run } from "../../src/interp/index.ts";
import {
  R,
  alu32Imm,
  alu32Reg,
  alu64Imm,
  alu64Reg,
  atomic,
  exit,
  jmpImm,
  jmpReg,
  lddw,
  ldx,
  ldxs,
  mov64,
  movReg,
  program,
  st,
  stx,
} from "./program.ts";

const U64_MAX = (1n << 64n) - 1n;
const INT64_MIN = 1n << 63n;

function r0Of(slots: Insn[]): bigint {
  const result = run(slots);
  if (result.kind !== "exit") throw new Error(result.message);
  return result.r0;
}

// r0 = a; <op> r0, r1 (r1 = b); exit
const withOperands = (a: bigint, b: bigint, op: Insn): Insn[] => program(lddw(R.r0, a), lddw(R.r1, b), op, exit());
const endian = (cls: number, source: number, width: number): Insn => insn(cls | AluOp.END | source, R.r0, 0, 0, width);

interface Row {
  readonly rule: string;
  readonly slots: Insn[];
  readonly r0: bigint;
}

const rows: Row[] = [
  // Arithmetic is modulo 2^64 (RFC 9669 §4.1: "wrap around on overflow").
  { rule: "add wraps around at 2^64", slots: withOperands(U64_MAX, 2n, alu64Reg(AluOp.ADD, R.r0, R.r1)), r0: 1n },
  { rule: "sub wraps below zero", slots: withOperands(0n, 1n, alu64Reg(AluOp.SUB, R.r0, R.r1)), r0: U64_MAX },
  // 32-bit ALU ops zero the upper half of dst (RFC 9669 §4.1).
  { rule: "add32 wraps at 2^32 and zeroes the upper half", slots: withOperands(U64_MAX, 1n, alu32Reg(AluOp.ADD, R.r0, R.r1)), r0: 0n },
  { rule: "mov32 keeps only the low half", slots: program(lddw(R.r0, 0x1234_5678_9abc_def0n), alu32Reg(AluOp.MOV, R.r0, R.r0), exit()), r0: 0x9abc_def0n },
  { rule: "mul32 of 2^16 by 2^16 is 0", slots: withOperands(0x10000n, 0x10000n, alu32Reg(AluOp.MUL, R.r0, R.r1)), r0: 0n },
  // The 32-bit immediate is sign-extended to 64 bits for ALU64 (RFC 9669 §3.3).
  { rule: "mov r0, -1 is all ones", slots: program(mov64(R.r0, -1), exit()), r0: U64_MAX },
  { rule: "mov32 r0, -1 is 0xffffffff", slots: program(alu32Imm(AluOp.MOV, R.r0, -1), exit()), r0: 0xffff_ffffn },
  { rule: "unsigned div by the immediate -1 divides by 2^64-1", slots: program(mov64(R.r0, 10), alu64Imm(AluOp.DIV, R.r0, -1), exit()), r0: 0n },
  { rule: "div32 by the immediate -1 divides by 2^32-1", slots: program(lddw(R.r0, 0xffff_ffffn), alu32Imm(AluOp.DIV, R.r0, -1), exit()), r0: 1n },
  // Division by zero yields 0; modulo by zero leaves dst (ALU: its low half) (RFC 9669 §4.1).
  { rule: "div by zero is 0", slots: withOperands(7n, 0n, alu64Reg(AluOp.DIV, R.r0, R.r1)), r0: 0n },
  { rule: "div32 by zero is 0", slots: withOperands(0xffff_ffff_0000_0007n, 0x1_0000_0000n, alu32Reg(AluOp.DIV, R.r0, R.r1)), r0: 0n },
  { rule: "mod by zero leaves dst", slots: withOperands(0x1_0000_0007n, 0n, alu64Reg(AluOp.MOD, R.r0, R.r1)), r0: 0x1_0000_0007n },
  { rule: "mod32 by zero leaves the low half of dst", slots: withOperands(0x1_0000_0007n, 0n, alu32Reg(AluOp.MOD, R.r0, R.r1)), r0: 7n },
  { rule: "sdiv by zero is 0", slots: withOperands(7n, 0n, alu64Reg(AluOp.DIV, R.r0, R.r1, 1)), r0: 0n },
  { rule: "smod by zero leaves dst", slots: withOperands(U64_MAX - 6n, 0n, alu64Reg(AluOp.MOD, R.r0, R.r1, 1)), r0: U64_MAX - 6n },
  // Signed division truncates toward zero; the remainder takes the dividend's sign (RFC 9669 §4.1).
  { rule: "sdiv -7 / 2 is -3", slots: withOperands(BigInt.asUintN(64, -7n), 2n, alu64Reg(AluOp.DIV, R.r0, R.r1, 1)), r0: BigInt.asUintN(64, -3n) },
  { rule: "smod -7 % 2 is -1", slots: withOperands(BigInt.asUintN(64, -7n), 2n, alu64Reg(AluOp.MOD, R.r0, R.r1, 1)), r0: U64_MAX },
  { rule: "smod 7 % -2 is 1", slots: withOperands(7n, BigInt.asUintN(64, -2n), alu64Reg(AluOp.MOD, R.r0, R.r1, 1)), r0: 1n },
  { rule: "sdiv32 -7 / 2 is -3 zero-extended", slots: withOperands(0xffff_fff9n, 2n, alu32Reg(AluOp.DIV, R.r0, R.r1, 1)), r0: 0xffff_fffdn },
  // LLONG_MIN / -1 is LLONG_MIN and LLONG_MIN % -1 is 0 (RFC 9669 §4.1).
  { rule: "sdiv INT64_MIN / -1 is INT64_MIN", slots: withOperands(INT64_MIN, U64_MAX, alu64Reg(AluOp.DIV, R.r0, R.r1, 1)), r0: INT64_MIN },
  { rule: "smod INT64_MIN % -1 is 0", slots: withOperands(INT64_MIN, U64_MAX, alu64Reg(AluOp.MOD, R.r0, R.r1, 1)), r0: 0n },
  { rule: "sdiv32 INT32_MIN / -1 is INT32_MIN", slots: program(lddw(R.r0, 0x8000_0000n), alu32Imm(AluOp.DIV, R.r0, -1, 1), exit()), r0: 0x8000_0000n },
  { rule: "smod32 INT32_MIN % -1 is 0", slots: program(lddw(R.r0, 0x8000_0000n), alu32Imm(AluOp.MOD, R.r0, -1, 1), exit()), r0: 0n },
  // Shift amounts are masked to 63 / 31 (RFC 9669 §4.1).
  { rule: "lsh by 64 shifts by 0", slots: withOperands(1n, 64n, alu64Reg(AluOp.LSH, R.r0, R.r1)), r0: 1n },
  { rule: "lsh by 65 shifts by 1", slots: withOperands(1n, 65n, alu64Reg(AluOp.LSH, R.r0, R.r1)), r0: 2n },
  { rule: "lsh32 by 33 shifts by 1", slots: withOperands(0x8000_0001n, 33n, alu32Reg(AluOp.LSH, R.r0, R.r1)), r0: 2n },
  { rule: "rsh is logical", slots: withOperands(INT64_MIN, 63n, alu64Reg(AluOp.RSH, R.r0, R.r1)), r0: 1n },
  { rule: "arsh copies the sign bit", slots: withOperands(INT64_MIN, 63n, alu64Reg(AluOp.ARSH, R.r0, R.r1)), r0: U64_MAX },
  { rule: "arsh32 uses bit 31 and zero-extends", slots: withOperands(0x1_8000_0000n, 31n, alu32Reg(AluOp.ARSH, R.r0, R.r1)), r0: 0xffff_ffffn },
  { rule: "neg of 1 is all ones", slots: program(mov64(R.r0, 1), alu64Imm(AluOp.NEG, R.r0, 0), exit()), r0: U64_MAX },
  { rule: "neg32 negates the low half only", slots: program(lddw(R.r0, 0x1_0000_0001n), alu32Imm(AluOp.NEG, R.r0, 0), exit()), r0: 0xffff_ffffn },
  // movsx sign-extends 8/16/32 bits (RFC 9669 §4.1, MOVSX).
  { rule: "movsx8 into 64 bits", slots: program(mov64(R.r1, 0x80), alu64Reg(AluOp.MOV, R.r0, R.r1, 8), exit()), r0: 0xffff_ffff_ffff_ff80n },
  { rule: "movsx16 into 64 bits", slots: program(mov64(R.r1, 0x8000), alu64Reg(AluOp.MOV, R.r0, R.r1, 16), exit()), r0: 0xffff_ffff_ffff_8000n },
  { rule: "movsx32 into 64 bits", slots: program(lddw(R.r1, 0x8000_0000n), alu64Reg(AluOp.MOV, R.r0, R.r1, 32), exit()), r0: 0xffff_ffff_8000_0000n },
  { rule: "movsx8 into 32 bits zero-extends the 32-bit result", slots: program(mov64(R.r1, 0x180), alu32Reg(AluOp.MOV, R.r0, R.r1, 8), exit()), r0: 0xffff_ff80n },
  // Byte order (RFC 9669 §4.2): to-le on a little-endian host truncates, to-be and bswap swap.
  { rule: "le16 truncates", slots: program(lddw(R.r0, 0x1122_3344_5566_7788n), endian(Class.ALU, EndSource.TO_LE, 16), exit()), r0: 0x7788n },
  { rule: "le32 truncates", slots: program(lddw(R.r0, 0x1122_3344_5566_7788n), endian(Class.ALU, EndSource.TO_LE, 32), exit()), r0: 0x5566_7788n },
  { rule: "le64 is the identity", slots: program(lddw(R.r0, 0x1122_3344_5566_7788n), endian(Class.ALU, EndSource.TO_LE, 64), exit()), r0: 0x1122_3344_5566_7788n },
  { rule: "be16 swaps the low two bytes", slots: program(lddw(R.r0, 0x1122_3344_5566_7788n), endian(Class.ALU, EndSource.TO_BE, 16), exit()), r0: 0x8877n },
  { rule: "be32 swaps the low four bytes", slots: program(lddw(R.r0, 0x1122_3344_5566_7788n), endian(Class.ALU, EndSource.TO_BE, 32), exit()), r0: 0x8877_6655n },
  { rule: "be64 swaps all eight bytes", slots: program(lddw(R.r0, 0x1122_3344_5566_7788n), endian(Class.ALU, EndSource.TO_BE, 64), exit()), r0: 0x8877_6655_4433_2211n },
  { rule: "bswap16 (ALU64) swaps and truncates", slots: program(lddw(R.r0, 0x1122_3344_5566_7788n), endian(Class.ALU64, EndSource.TO_LE, 16), exit()), r0: 0x8877n },
  { rule: "bswap64 (ALU64) swaps all eight bytes", slots: program(lddw(R.r0, 0x1122_3344_5566_7788n), endian(Class.ALU64, EndSource.TO_LE, 64), exit()), r0: 0x8877_6655_4433_2211n },
];

describe("ALU semantics", () => {
  it.each(rows)("$rule", ({ slots, r0 }) => {
    expect(r0Of(slots)).toBe(r0);
  });
});

// r0 = 1 if the jump is taken, else 0.
const taken = (a: bigint, b: bigint, jump: Insn): Insn[] => program(lddw(R.r1, a), lddw(R.r2, b), mov64(R.r0, 1), jump, mov64(R.r0, 0), exit());

describe("jump semantics", () => {
  const cases: { rule: string; slots: Insn[]; r0: bigint }[] = [
    { rule: "jgt compares unsigned: 2^64-1 > 0", slots: taken(U64_MAX, 0n, jmpReg(JmpOp.JGT, R.r1, R.r2, 1)), r0: 1n },
    { rule: "jsgt compares signed: -1 > 0 is false", slots: taken(U64_MAX, 0n, jmpReg(JmpOp.JSGT, R.r1, R.r2, 1)), r0: 0n },
    { rule: "jeq32 looks at the low halves only", slots: taken(0x1_0000_0000n, 0n, jmpReg(JmpOp.JEQ, R.r1, R.r2, 1, true)), r0: 1n },
    { rule: "jslt32 reads 0x80000000 as INT32_MIN", slots: taken(0x8000_0000n, 0n, jmpReg(JmpOp.JSLT, R.r1, R.r2, 1, true)), r0: 1n },
    { rule: "jset tests common bits", slots: taken(0b1010n, 0b0100n, jmpReg(JmpOp.JSET, R.r1, R.r2, 1)), r0: 0n },
    { rule: "the immediate of jge is sign-extended", slots: taken(U64_MAX, 0n, jmpImm(JmpOp.JGE, R.r1, -1, 1)), r0: 1n },
    // gotol: JMP32 | JA takes its offset from imm (RFC 9669 §4.3).
    { rule: "ja32 jumps by imm", slots: program(mov64(R.r0, 1), insn(Class.JMP32 | JmpOp.JA, 0, 0, 0, 1), mov64(R.r0, 2), exit()), r0: 1n },
  ];
  it.each(cases)("$rule", ({ slots, r0 }) => {
    expect(r0Of(slots)).toBe(r0);
  });
});

describe("loads and stores", () => {
  it("ldxsb, ldxsh and ldxsw sign-extend what they load", () => {
    const slots = program(
      st(Size.B, R.r10, -1, 0x80),
      st(Size.H, R.r10, -4, 0x8000),
      st(Size.W, R.r10, -8, -2),
      ldxs(Size.B, R.r1, R.r10, -1),
      ldxs(Size.H, R.r2, R.r10, -4),
      ldxs(Size.W, R.r3, R.r10, -8),
      // r0 = r1 + r2 + r3 = -128 - 32768 - 2
      movReg(R.r0, R.r1),
      alu64Reg(AluOp.ADD, R.r0, R.r2),
      alu64Reg(AluOp.ADD, R.r0, R.r3),
      exit(),
    );
    expect(r0Of(slots)).toBe(BigInt.asUintN(64, -128n - 32768n - 2n));
  });

  it("stdw stores the sign-extended immediate", () => {
    expect(r0Of(program(st(Size.DW, R.r10, -8, -1), ldx(Size.DW, R.r0, R.r10, -8), exit()))).toBe(U64_MAX);
  });

  it("memory is little-endian", () => {
    const slots = program(lddw(R.r1, 0x0102_0304_0506_0708n), stx(Size.DW, R.r10, R.r1, -8), ldx(Size.B, R.r0, R.r10, -8), exit());
    expect(r0Of(slots)).toBe(0x08n);
  });
});

describe("atomics", () => {
  const at = (size: number, op: number, initial: bigint, operand: bigint, read: "memory" | "src" | "r0", r0 = 0n): Insn[] =>
    program(
      lddw(R.r1, initial),
      stx(Size.DW, R.r10, R.r1, -8),
      lddw(R.r2, operand),
      lddw(R.r0, r0),
      atomic(size === 8 ? Size.DW : Size.W, R.r10, R.r2, -8, op),
      read === "memory" ? ldx(Size.DW, R.r0, R.r10, -8) : read === "src" ? movReg(R.r0, R.r2) : [],
      exit(),
    );
  const cases: { rule: string; slots: Insn[]; r0: bigint }[] = [
    { rule: "add stores the sum", slots: at(8, AtomicOp.ADD, 5n, 7n, "memory"), r0: 12n },
    { rule: "fetch_add returns the old value in src", slots: at(8, AtomicOp.ADD | AtomicOp.FETCH, 5n, 7n, "src"), r0: 5n },
    { rule: "add32 touches only the low word", slots: at(4, AtomicOp.ADD, 0x1_ffff_ffffn, 1n, "memory"), r0: 0x1_0000_0000n },
    { rule: "fetch_add32 zero-extends the old value", slots: at(4, AtomicOp.ADD | AtomicOp.FETCH, 0xffff_ffff_8000_0000n, 1n, "src"), r0: 0x8000_0000n },
    { rule: "fetch_or returns old, stores old | src", slots: at(8, AtomicOp.OR | AtomicOp.FETCH, 0b1100n, 0b0011n, "memory"), r0: 0b1111n },
    { rule: "and stores old & src", slots: at(8, AtomicOp.AND, 0b1100n, 0b0110n, "memory"), r0: 0b0100n },
    { rule: "xor stores old ^ src", slots: at(8, AtomicOp.XOR, 0b1100n, 0b0110n, "memory"), r0: 0b1010n },
    { rule: "xchg swaps memory and src", slots: at(8, AtomicOp.XCHG, 1n, 2n, "src"), r0: 1n },
    { rule: "cmpxchg stores src when memory equals r0", slots: at(8, AtomicOp.CMPXCHG, 9n, 4n, "memory", 9n), r0: 4n },
    { rule: "cmpxchg leaves memory when it differs from r0", slots: at(8, AtomicOp.CMPXCHG, 9n, 4n, "memory", 8n), r0: 9n },
    { rule: "cmpxchg puts the old value in r0", slots: at(8, AtomicOp.CMPXCHG, 9n, 4n, "r0", 8n), r0: 9n },
    { rule: "cmpxchg32 compares the low half of r0", slots: at(4, AtomicOp.CMPXCHG, 9n, 4n, "memory", 0x7_0000_0009n), r0: 4n },
  ];
  it.each(cases)("$rule", ({ slots, r0 }) => {
    expect(r0Of(slots)).toBe(r0);
  });
});
