// Load and store instructions (classes LD, LDX, ST, STX with modes IMM, ABS,
// IND, MEM, MEMSX; RFC 9669 §5): the 64-bit immediate load (lddw, two slots,
// with its pseudo kinds), the legacy packet loads, register loads (zero- or
// sign-extending) and stores of a register or an immediate. Atomics are in atomic.ts.
import { type Insn, hexByte, insn } from "./instruction.ts";
import {
  Class,
  LDDW,
  Mode,
  type PseudoLdName,
  Size,
  isRegisterNumber,
  opClass,
  opMode,
  opSize,
  pseudoLdNames,
  pseudoLdUsesNextImm,
  sizeBytes,
  sizeCodeOfBytes,
} from "./opcode.ts";

export type SizeBytes = 1 | 2 | 4 | 8;

// dst = 64-bit constant, or a pseudo value the loader resolves (RFC 9669 §5.4):
// imm is the first slot's imm, nextImm the second slot's (the upper half for imm64).
export interface LddwInstruction {
  readonly kind: "lddw";
  readonly dst: number;
  readonly pseudo: PseudoLdName;
  readonly imm: number;
  readonly nextImm: number;
}

// r0 = *(size *)(packet + imm) (mode abs) or (packet + src + imm) (mode ind); deprecated.
export interface LegacyLoadInstruction {
  readonly kind: "ldLegacy";
  readonly mode: "abs" | "ind";
  readonly sizeBytes: 1 | 2 | 4;
  readonly src: number;
  readonly imm: number;
}

// dst = *(size *)(src + off), zero-extended, or sign-extended when `signed` (MEMSX).
export interface LoadInstruction {
  readonly kind: "load";
  readonly sizeBytes: SizeBytes;
  readonly signed: boolean;
  readonly dst: number;
  readonly src: number;
  readonly off: number;
}

// *(size *)(dst + off) = imm
export interface StoreImmInstruction {
  readonly kind: "storeImm";
  readonly sizeBytes: SizeBytes;
  readonly dst: number;
  readonly off: number;
  readonly imm: number;
}

// *(size *)(dst + off) = src
export interface StoreRegInstruction {
  readonly kind: "storeReg";
  readonly sizeBytes: SizeBytes;
  readonly dst: number;
  readonly src: number;
  readonly off: number;
}

export type LoadStoreInstruction =
  | LddwInstruction
  | LegacyLoadInstruction
  | LoadInstruction
  | StoreImmInstruction
  | StoreRegInstruction;

const badReg = (what: string, reg: number): string => `${what} register r${reg} does not exist (r0-r10 only)`;

// Reads the first slot of an lddw with its second slot (undefined when the program ends early).
export function classifyLddw(first: Insn, second: Insn | undefined): LddwInstruction | string {
  if (!isRegisterNumber(first.dst)) return badReg("destination", first.dst);
  if (first.off !== 0) return "lddw uses reserved fields (off must be 0)";
  const pseudo = pseudoLdNames[first.src];
  if (pseudo === undefined) return `lddw pseudo kind ${first.src} in src is not one of 0-6`;
  if (second === undefined) return "lddw is missing its second slot (the program ends after the first)";
  if (second.opcode !== 0 || second.dst !== 0 || second.src !== 0 || second.off !== 0) {
    return `lddw second slot must have opcode, registers and off all 0 (found opcode 0x${hexByte(second.opcode)}, dst ${second.dst}, src ${second.src}, off ${second.off})`;
  }
  if (second.imm !== 0 && !pseudoLdUsesNextImm.has(first.src)) return `lddw of kind ${pseudo} must have 0 in its second slot's imm`;
  return { kind: "lddw", dst: first.dst, pseudo, imm: first.imm, nextImm: second.imm };
}

// Reads an LD/LDX/ST/STX slot that is not an lddw and not atomic.
export function classifyLoadStore(slot: Insn): LoadStoreInstruction | string {
  const cls = opClass(slot.opcode);
  const mode = opMode(slot.opcode);
  const size = opSize(slot.opcode);
  const bytes = sizeBytes[size];
  switch (cls) {
    case Class.LD: {
      if (mode !== Mode.ABS && mode !== Mode.IND) return unknownOpcode(slot, "class LD has only lddw and the legacy ABS/IND loads");
      if (size === Size.DW) return unknownOpcode(slot, "legacy packet loads have no DW size");
      if (slot.dst !== 0 || slot.off !== 0) return "legacy packet load uses reserved fields (dst and off must be 0)";
      if (mode === Mode.ABS) {
        if (slot.src !== 0) return "legacy ABS load uses reserved fields (src must be 0)";
        return { kind: "ldLegacy", mode: "abs", sizeBytes: bytes as 1 | 2 | 4, src: 0, imm: slot.imm };
      }
      if (!isRegisterNumber(slot.src)) return badReg("source", slot.src);
      return { kind: "ldLegacy", mode: "ind", sizeBytes: bytes as 1 | 2 | 4, src: slot.src, imm: slot.imm };
    }
    case Class.LDX: {
      const signed = mode === Mode.MEMSX;
      if (mode !== Mode.MEM && !signed) return unknownOpcode(slot, "class LDX has only modes MEM and MEMSX");
      if (signed && size === Size.DW) return unknownOpcode(slot, "sign-extending loads have no DW size");
      if (!isRegisterNumber(slot.dst)) return badReg("destination", slot.dst);
      if (!isRegisterNumber(slot.src)) return badReg("source", slot.src);
      if (slot.imm !== 0) return "LDX uses reserved fields (imm must be 0)";
      return { kind: "load", sizeBytes: bytes, signed, dst: slot.dst, src: slot.src, off: slot.off };
    }
    case Class.ST:
      if (mode !== Mode.MEM) return unknownOpcode(slot, "class ST has only mode MEM");
      if (!isRegisterNumber(slot.dst)) return badReg("destination", slot.dst);
      if (slot.src !== 0) return "ST uses reserved fields (src must be 0)";
      return { kind: "storeImm", sizeBytes: bytes, dst: slot.dst, off: slot.off, imm: slot.imm };
    case Class.STX:
      if (mode !== Mode.MEM) return unknownOpcode(slot, "class STX has only modes MEM and ATOMIC");
      if (!isRegisterNumber(slot.dst)) return badReg("destination", slot.dst);
      if (!isRegisterNumber(slot.src)) return badReg("source", slot.src);
      if (slot.imm !== 0) return "STX uses reserved fields (imm must be 0)";
      return { kind: "storeReg", sizeBytes: bytes, dst: slot.dst, src: slot.src, off: slot.off };
    default:
      return unknownOpcode(slot, "not a load or store class");
  }
}

function unknownOpcode(slot: Insn, why: string): string {
  return `unknown opcode 0x${hexByte(slot.opcode)} (${why})`;
}

export function loadStoreSlots(form: LoadStoreInstruction): Insn[] {
  switch (form.kind) {
    case "lddw":
      return [insn(LDDW, form.dst, pseudoLdNames.indexOf(form.pseudo), 0, form.imm), insn(0, 0, 0, 0, form.nextImm)];
    case "ldLegacy": {
      const mode = form.mode === "abs" ? Mode.ABS : Mode.IND;
      return [insn(Class.LD | mode | sizeCodeOfBytes[form.sizeBytes], 0, form.mode === "ind" ? form.src : 0, 0, form.imm)];
    }
    case "load":
      return [insn(Class.LDX | (form.signed ? Mode.MEMSX : Mode.MEM) | sizeCodeOfBytes[form.sizeBytes], form.dst, form.src, form.off, 0)];
    case "storeImm":
      return [insn(Class.ST | Mode.MEM | sizeCodeOfBytes[form.sizeBytes], form.dst, 0, form.off, form.imm)];
    case "storeReg":
      return [insn(Class.STX | Mode.MEM | sizeCodeOfBytes[form.sizeBytes], form.dst, form.src, form.off, 0)];
  }
}
