// Jump instructions (classes JMP and JMP32, RFC 9669 §4.3): the unconditional
// jumps (goto with a 16-bit offset, gotol with a 32-bit one), conditional
// jumps, calls (helper, bpf-to-bpf, kfunc, and callx through a register) and exit.
// Offsets count 8-byte slots from the instruction after the jump.
import { type Insn, hexByte, insn } from "./instruction.ts";
import {
  CALL,
  CALLX,
  Class,
  EXIT,
  JA,
  JA32,
  JmpOp,
  PseudoCall,
  Source,
  isRegisterNumber,
  jmpOps,
  opClass,
  opCode,
  opSource,
} from "./opcode.ts";
import type { OperandSource } from "./alu.ts";

export type JumpWidth = 32 | 64;
export type JumpCondName = "jeq" | "jgt" | "jge" | "jset" | "jne" | "jsgt" | "jsge" | "jlt" | "jle" | "jslt" | "jsle";

// goto +offset (long: false, JMP class, offset in `off`) or gotol +offset (long: true, JMP32 class, offset in `imm`).
export interface JaInstruction {
  readonly kind: "ja";
  readonly long: boolean;
  readonly offset: number;
}

// if dst OP src goto +offset, comparing 64-bit (JMP) or low 32-bit (JMP32) values.
export interface JumpCondInstruction {
  readonly kind: "jcond";
  readonly width: JumpWidth;
  readonly op: JumpCondName;
  readonly source: OperandSource;
  readonly dst: number;
  readonly src: number;
  readonly imm: number;
  readonly offset: number;
}

export interface CallHelperInstruction {
  readonly kind: "callHelper";
  readonly helperId: number;
}

// bpf-to-bpf call: the callee starts at pc + 1 + offset.
export interface CallLocalInstruction {
  readonly kind: "callLocal";
  readonly offset: number;
}

// Kernel function by BTF id; btfFdIndex (the `off` field) selects a module BTF, 0 for vmlinux.
export interface CallKfuncInstruction {
  readonly kind: "callKfunc";
  readonly btfId: number;
  readonly btfFdIndex: number;
}

// Indirect call to the address in register `dst`.
export interface CallxInstruction {
  readonly kind: "callx";
  readonly dst: number;
}

export interface ExitInstruction {
  readonly kind: "exit";
}

export type JumpInstruction =
  | JaInstruction
  | JumpCondInstruction
  | CallHelperInstruction
  | CallLocalInstruction
  | CallKfuncInstruction
  | CallxInstruction
  | ExitInstruction;

const condCodeOf: Readonly<Record<JumpCondName, number>> = {
  jeq: JmpOp.JEQ, jgt: JmpOp.JGT, jge: JmpOp.JGE, jset: JmpOp.JSET, jne: JmpOp.JNE, jsgt: JmpOp.JSGT,
  jsge: JmpOp.JSGE, jlt: JmpOp.JLT, jle: JmpOp.JLE, jslt: JmpOp.JSLT, jsle: JmpOp.JSLE,
};

export const jumpCondNames = Object.keys(condCodeOf) as readonly JumpCondName[];

const unknown = (slot: Insn, why: string): string => `unknown opcode 0x${hexByte(slot.opcode)} (${why})`;

// Reads a JMP/JMP32 slot; returns the reason when the encoding is invalid.
export function classifyJump(slot: Insn): JumpInstruction | string {
  const width: JumpWidth = opClass(slot.opcode) === Class.JMP32 ? 32 : 64;
  const code = opCode(slot.opcode);
  const fromReg = opSource(slot.opcode) === Source.X;
  switch (slot.opcode) {
    case JA:
      if (slot.dst !== 0 || slot.src !== 0 || slot.imm !== 0) return "JA uses reserved fields (dst, src and imm must be 0)";
      return { kind: "ja", long: false, offset: slot.off };
    case JA32:
      if (slot.dst !== 0 || slot.src !== 0 || slot.off !== 0) return "JA32 (gotol) uses reserved fields (dst, src and off must be 0)";
      return { kind: "ja", long: true, offset: slot.imm };
    case CALL:
      return classifyCall(slot);
    case CALLX:
      if (!isRegisterNumber(slot.dst)) return `callx target register r${slot.dst} does not exist (r0-r10 only)`;
      if (slot.src !== 0 || slot.off !== 0 || slot.imm !== 0) return "CALLX uses reserved fields (src, off and imm must be 0)";
      return { kind: "callx", dst: slot.dst };
    case EXIT:
      if (slot.dst !== 0 || slot.src !== 0 || slot.off !== 0 || slot.imm !== 0) return "EXIT uses reserved fields (dst, src, off and imm must be 0)";
      return { kind: "exit" };
  }
  const info = jmpOps.get(code);
  if (!info || code === JmpOp.JA || code === JmpOp.CALL || code === JmpOp.EXIT) {
    return unknown(slot, width === 32 ? "not a JMP32 operation" : "not a JMP operation");
  }
  const op = info.name as JumpCondName;
  if (!isRegisterNumber(slot.dst)) return `destination register r${slot.dst} does not exist (r0-r10 only)`;
  if (fromReg) {
    if (!isRegisterNumber(slot.src)) return `source register r${slot.src} does not exist (r0-r10 only)`;
    if (slot.imm !== 0) return "conditional jump uses reserved fields (imm must be 0 with a register source)";
    return { kind: "jcond", width, op, source: "reg", dst: slot.dst, src: slot.src, imm: 0, offset: slot.off };
  }
  if (slot.src !== 0) return "conditional jump uses reserved fields (src must be 0 with an immediate source)";
  return { kind: "jcond", width, op, source: "imm", dst: slot.dst, src: 0, imm: slot.imm, offset: slot.off };
}

function classifyCall(slot: Insn): JumpInstruction | string {
  if (slot.dst !== 0) return "CALL uses reserved fields (dst must be 0)";
  switch (slot.src) {
    case PseudoCall.HELPER:
      if (slot.off !== 0) return "CALL uses reserved fields (off must be 0 for a helper call)";
      return { kind: "callHelper", helperId: slot.imm };
    case PseudoCall.LOCAL:
      if (slot.off !== 0) return "CALL uses reserved fields (off must be 0 for a local call)";
      return { kind: "callLocal", offset: slot.imm };
    case PseudoCall.KFUNC:
      return { kind: "callKfunc", btfId: slot.imm, btfFdIndex: slot.off };
    default:
      return `CALL kind ${slot.src} in src is not helper (0), local (1) or kfunc (2)`;
  }
}

export function jumpSlot(form: JumpInstruction): Insn {
  switch (form.kind) {
    case "ja":
      return form.long ? insn(JA32, 0, 0, 0, form.offset) : insn(JA, 0, 0, form.offset, 0);
    case "jcond": {
      const cls = form.width === 64 ? Class.JMP : Class.JMP32;
      const reg = form.source === "reg";
      return insn(cls | (reg ? Source.X : Source.K) | condCodeOf[form.op], form.dst, reg ? form.src : 0, form.offset, reg ? 0 : form.imm);
    }
    case "callHelper":
      return insn(CALL, 0, PseudoCall.HELPER, 0, form.helperId);
    case "callLocal":
      return insn(CALL, 0, PseudoCall.LOCAL, 0, form.offset);
    case "callKfunc":
      return insn(CALL, 0, PseudoCall.KFUNC, form.btfFdIndex, form.btfId);
    case "callx":
      return insn(CALLX, form.dst);
    case "exit":
      return insn(EXIT);
  }
}
