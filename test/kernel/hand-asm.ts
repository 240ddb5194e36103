// Hand-assembled instructions for the kernel tests, one small function per
// instruction form, built from the opcode tables. Each comment gives the
// instruction in the kernel verifier's own syntax.
import { AluOp, AtomicOp, Class, JmpOp, LDDW, Mode, PseudoCall, PseudoLd, Size, Source } from "../../src/ebpf/opcode.ts";
import { insn, type Insn } from "../../src/ebpf/instruction.ts";
import { XdpMdLayout } from "../../src/kernel/attr-layout.ts";

type SizeName = "b" | "h" | "w" | "dw";
const sizeCode: Readonly<Record<SizeName, number>> = { b: Size.B, h: Size.H, w: Size.W, dw: Size.DW };

// Helper ids: enum bpf_func_id (include/uapi/linux/bpf.h).
export const Helper = { MAP_LOOKUP_ELEM: 1, TAIL_CALL: 12 } as const;

// rD = imm
export const movImm = (dst: number, imm: number): Insn => insn(Class.ALU64 | AluOp.MOV | Source.K, dst, 0, 0, imm);
// rD = rS
export const movReg = (dst: number, src: number): Insn => insn(Class.ALU64 | AluOp.MOV | Source.X, dst, src);
// rD += imm
export const addImm = (dst: number, imm: number): Insn => insn(Class.ALU64 | AluOp.ADD | Source.K, dst, 0, 0, imm);
// rD -= rS
export const subReg = (dst: number, src: number): Insn => insn(Class.ALU64 | AluOp.SUB | Source.X, dst, src);
// rD = *(size *)(rS + off)
export const load = (size: SizeName, dst: number, src: number, off: number): Insn =>
  insn(Class.LDX | Mode.MEM | sizeCode[size], dst, src, off);
// *(size *)(rD + off) = rS
export const store = (size: SizeName, dst: number, off: number, src: number): Insn =>
  insn(Class.STX | Mode.MEM | sizeCode[size], dst, src, off);
// *(size *)(rD + off) = imm
export const storeImm = (size: SizeName, dst: number, off: number, imm: number): Insn =>
  insn(Class.ST | Mode.MEM | sizeCode[size], dst, 0, off, imm);
// lock *(u64 *)(rD + off) += rS
export const atomicAdd64 = (dst: number, off: number, src: number): Insn =>
  insn(Class.STX | Mode.ATOMIC | Size.DW, dst, src, off, AtomicOp.ADD);
// if rD > rS goto +off
export const jgtReg = (dst: number, src: number, off: number): Insn => insn(Class.JMP | JmpOp.JGT | Source.X, dst, src, off);
// if rD == imm goto +off
export const jeqImm = (dst: number, imm: number, off: number): Insn => insn(Class.JMP | JmpOp.JEQ | Source.K, dst, 0, off, imm);
// goto +off
export const ja = (off: number): Insn => insn(Class.JMP | JmpOp.JA, 0, 0, off);
// call helper
export const callHelper = (id: number): Insn => insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.HELPER, 0, id);
// call pc+1+off (a bpf-to-bpf call)
export const callLocal = (off: number): Insn => insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.LOCAL, 0, off);
export const exit = (): Insn => insn(Class.JMP | JmpOp.EXIT);
// rD = map[index] (two slots)
export const ldMap = (dst: number, mapIndex: number): Insn[] => [insn(LDDW, dst, PseudoLd.MAP_IDX, 0, mapIndex), insn(0)];
// rD = &map[index].value + offset (two slots)
export const ldMapValue = (dst: number, mapIndex: number, offset: number): Insn[] => [
  insn(LDDW, dst, PseudoLd.MAP_IDX_VALUE, 0, mapIndex),
  insn(0, 0, 0, 0, offset),
];

// struct xdp_md field offsets (checked against offsetof() by attr-layout.test.ts).
export const XdpMd = XdpMdLayout;

export const u32le = (value: number): Uint8Array => {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
};
export const readU32le = (bytes: Uint8Array, at = 0): number => new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true);
export const readU64le = (bytes: Uint8Array, at = 0): bigint => new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(at, true);
