// Small instruction builders for interpreter tests: each returns the kernel's
// 8-byte slots (two for ld_imm64), built from the opcode table.
import { insn, type Insn } from "../../src/ebpf/instruction.ts";
import { AluOp, Class, JmpOp, LDDW, Mode, PseudoCall, PseudoLd, Size, Source, type SizeCode } from "../../src/ebpf/opcode.ts";

export const R = { r0: 0, r1: 1, r2: 2, r3: 3, r4: 4, r5: 5, r6: 6, r7: 7, r8: 8, r9: 9, r10: 10 } as const;

export const lddw = (dst: number, value: bigint, src: number = PseudoLd.IMM64): Insn[] => [
  insn(LDDW, dst, src, 0, Number(BigInt.asIntN(32, value))),
  insn(0, 0, 0, 0, Number(BigInt.asIntN(32, value >> 32n))),
];
export const ldMap = (dst: number, mapIndex: number): Insn[] => [insn(LDDW, dst, PseudoLd.MAP_IDX, 0, mapIndex), insn(0)];

export const alu64Imm = (op: number, dst: number, imm: number, off = 0): Insn => insn(Class.ALU64 | Source.K | op, dst, 0, off, imm);
export const alu64Reg = (op: number, dst: number, src: number, off = 0): Insn => insn(Class.ALU64 | Source.X | op, dst, src, off, 0);
export const alu32Imm = (op: number, dst: number, imm: number, off = 0): Insn => insn(Class.ALU | Source.K | op, dst, 0, off, imm);
export const alu32Reg = (op: number, dst: number, src: number, off = 0): Insn => insn(Class.ALU | Source.X | op, dst, src, off, 0);
export const mov64 = (dst: number, imm: number): Insn => alu64Imm(AluOp.MOV, dst, imm);
export const movReg = (dst: number, src: number): Insn => alu64Reg(AluOp.MOV, dst, src);

export const jmpImm = (op: number, dst: number, imm: number, off: number, is32 = false): Insn =>
  insn((is32 ? Class.JMP32 : Class.JMP) | Source.K | op, dst, 0, off, imm);
export const jmpReg = (op: number, dst: number, src: number, off: number, is32 = false): Insn =>
  insn((is32 ? Class.JMP32 : Class.JMP) | Source.X | op, dst, src, off, 0);
export const ja = (off: number): Insn => insn(Class.JMP | JmpOp.JA, 0, 0, off, 0);
export const exit = (): Insn => insn(Class.JMP | JmpOp.EXIT);
export const callHelper = (id: number): Insn => insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.HELPER, 0, id);
export const callLocal = (relative: number): Insn => insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.LOCAL, 0, relative);

export const ldx = (size: SizeCode, dst: number, src: number, off: number): Insn => insn(Class.LDX | Mode.MEM | size, dst, src, off, 0);
export const ldxs = (size: SizeCode, dst: number, src: number, off: number): Insn => insn(Class.LDX | Mode.MEMSX | size, dst, src, off, 0);
export const st = (size: SizeCode, dst: number, off: number, imm: number): Insn => insn(Class.ST | Mode.MEM | size, dst, 0, off, imm);
export const stx = (size: SizeCode, dst: number, src: number, off: number): Insn => insn(Class.STX | Mode.MEM | size, dst, src, off, 0);
export const atomic = (size: SizeCode, dst: number, src: number, off: number, op: number): Insn =>
  insn(Class.STX | Mode.ATOMIC | size, dst, src, off, op);

export const program = (...parts: (Insn | Insn[])[]): Insn[] => parts.flat();

export { Size };
