// Arithmetic instructions (classes ALU and ALU64, RFC 9669 §4.1 and §4.2):
// the two-operand operations, NEG, MOVSX and the byte-order operations.
// `classifyAlu` reads one slot into a readable form or says why the slot is
// not a valid encoding; `aluSlot` is its inverse.
import { type Insn, hexByte, insn } from "./instruction.ts";
import {
  AluOp,
  Class,
  ENDIAN_BITS,
  EndSource,
  MOVSX_BITS_ALU,
  MOVSX_BITS_ALU64,
  SIGNED_DIVMOD_OFF,
  Source,
  aluOps,
  isRegisterNumber,
  opClass,
  opCode,
  opSource,
} from "./opcode.ts";

export type AluWidth = 32 | 64;
export type OperandSource = "reg" | "imm";
export type AluOpName =
  | "add" | "sub" | "mul" | "div" | "sdiv" | "or" | "and" | "lsh"
  | "rsh" | "mod" | "smod" | "xor" | "mov" | "arsh";

// dst = dst OP src (source "reg": register `src`; source "imm": the 32-bit `imm`).
// The unused one of src/imm is 0.
export interface AluInstruction {
  readonly kind: "alu";
  readonly width: AluWidth;
  readonly op: AluOpName;
  readonly source: OperandSource;
  readonly dst: number;
  readonly src: number;
  readonly imm: number;
}

// dst = -dst
export interface NegInstruction {
  readonly kind: "neg";
  readonly width: AluWidth;
  readonly dst: number;
}

// dst = (s8|s16|s32) src, sign-extended to the width (upper half zeroed for width 32).
export interface MovsxInstruction {
  readonly kind: "movsx";
  readonly width: AluWidth;
  readonly dst: number;
  readonly src: number;
  readonly fromBits: 8 | 16 | 32;
}

// le/be: convert between host order and little/big endian (class ALU);
// bswap: unconditional byte swap (class ALU64, RFC 9669 v4).
export interface EndianInstruction {
  readonly kind: "endian";
  readonly op: "le" | "be" | "bswap";
  readonly bits: 16 | 32 | 64;
  readonly dst: number;
}

export type ArithmeticInstruction = AluInstruction | NegInstruction | MovsxInstruction | EndianInstruction;

// The opcode `code` of each two-operand op (signed variants share DIV/MOD, told apart by off).
const aluCodeOf: Readonly<Record<AluOpName, number>> = {
  add: AluOp.ADD, sub: AluOp.SUB, mul: AluOp.MUL, div: AluOp.DIV, sdiv: AluOp.DIV,
  or: AluOp.OR, and: AluOp.AND, lsh: AluOp.LSH, rsh: AluOp.RSH, mod: AluOp.MOD,
  smod: AluOp.MOD, xor: AluOp.XOR, mov: AluOp.MOV, arsh: AluOp.ARSH,
};

export const aluOpNames = Object.keys(aluCodeOf) as readonly AluOpName[];

const isSignedDivMod = (op: AluOpName): boolean => op === "sdiv" || op === "smod";

const badReg = (what: string, reg: number): string => `${what} register r${reg} does not exist (r0-r10 only)`;

// Reads an ALU/ALU64 slot; returns the reason when the encoding is invalid.
export function classifyAlu(slot: Insn): ArithmeticInstruction | string {
  const cls = opClass(slot.opcode);
  const width: AluWidth = cls === Class.ALU64 ? 64 : 32;
  const code = opCode(slot.opcode);
  const fromReg = opSource(slot.opcode) === Source.X;
  const info = aluOps.get(code);
  if (!info) return `unknown opcode 0x${hexByte(slot.opcode)} (no ALU operation 0x${hexByte(code)})`;
  if (!isRegisterNumber(slot.dst)) return badReg("destination", slot.dst);

  if (code === AluOp.NEG) {
    if (fromReg) return `unknown opcode 0x${hexByte(slot.opcode)} (NEG is defined only with source K)`;
    if (slot.src !== 0 || slot.off !== 0 || slot.imm !== 0) return "NEG uses reserved fields (src, off and imm must be 0)";
    return { kind: "neg", width, dst: slot.dst };
  }

  if (code === AluOp.END) {
    if (width === 64 && fromReg) return `unknown opcode 0x${hexByte(slot.opcode)} (ALU64 END is defined only with source 0)`;
    if (slot.src !== 0 || slot.off !== 0) return "END uses reserved fields (src and off must be 0)";
    if (!(ENDIAN_BITS as readonly number[]).includes(slot.imm)) return `byte swap width ${slot.imm} is not 16, 32 or 64`;
    const op = width === 64 ? "bswap" : opSource(slot.opcode) === EndSource.TO_BE ? "be" : "le";
    return { kind: "endian", op, bits: slot.imm as 16 | 32 | 64, dst: slot.dst };
  }

  if (code === AluOp.MOV && fromReg && slot.off !== 0) {
    const allowed: readonly number[] = width === 64 ? MOVSX_BITS_ALU64 : MOVSX_BITS_ALU;
    if (!allowed.includes(slot.off)) return `MOVSX offset ${slot.off} is not one of ${allowed.join("/")}`;
    if (!isRegisterNumber(slot.src)) return badReg("source", slot.src);
    if (slot.imm !== 0) return "MOVSX uses reserved fields (imm must be 0)";
    return { kind: "movsx", width, dst: slot.dst, src: slot.src, fromBits: slot.off as 8 | 16 | 32 };
  }

  const signed = slot.off === SIGNED_DIVMOD_OFF && (code === AluOp.DIV || code === AluOp.MOD);
  if (slot.off !== 0 && !signed) return `ALU uses reserved fields (off ${slot.off} must be 0 for ${info.name})`;
  const op = (signed ? `s${info.name}` : info.name) as AluOpName;
  if (fromReg) {
    if (!isRegisterNumber(slot.src)) return badReg("source", slot.src);
    if (slot.imm !== 0) return "ALU uses reserved fields (imm must be 0 with a register source)";
    return { kind: "alu", width, op, source: "reg", dst: slot.dst, src: slot.src, imm: 0 };
  }
  if (slot.src !== 0) return "ALU uses reserved fields (src must be 0 with an immediate source)";
  return { kind: "alu", width, op, source: "imm", dst: slot.dst, src: 0, imm: slot.imm };
}

export function aluSlot(form: ArithmeticInstruction): Insn {
  switch (form.kind) {
    case "alu": {
      const cls = form.width === 64 ? Class.ALU64 : Class.ALU;
      const source = form.source === "reg" ? Source.X : Source.K;
      const off = isSignedDivMod(form.op) ? SIGNED_DIVMOD_OFF : 0;
      return insn(cls | source | aluCodeOf[form.op], form.dst, form.source === "reg" ? form.src : 0, off, form.source === "imm" ? form.imm : 0);
    }
    case "neg":
      return insn((form.width === 64 ? Class.ALU64 : Class.ALU) | AluOp.NEG, form.dst, 0, 0, 0);
    case "movsx":
      return insn((form.width === 64 ? Class.ALU64 : Class.ALU) | Source.X | AluOp.MOV, form.dst, form.src, form.fromBits, 0);
    case "endian": {
      const opcode =
        form.op === "bswap" ? Class.ALU64 | AluOp.END | EndSource.TO_LE
        : Class.ALU | AluOp.END | (form.op === "be" ? EndSource.TO_BE : EndSource.TO_LE);
      return insn(opcode, form.dst, 0, 0, form.bits);
    }
  }
}

