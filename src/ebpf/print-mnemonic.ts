// Prints one instruction in the mnemonic syntax of the bpf_conformance vectors
// (`add32 %r0, 1`, `ldxw %r0, [%r1+4]`, `lock fetch add [%r10-8], %r1`), with
// the extensions asm-mnemonic.ts reads back (pseudo lddw kinds, legacy loads, kfunc offsets).
import { pseudoWordOf } from "./asm-mnemonic.ts";
import type { Instruction } from "./describe.ts";
import { joinImm64 } from "./instruction.ts";
import { mnemonicRegister as reg } from "./register.ts";

const SUFFIX_OF_SIZE: Readonly<Record<number, string>> = { 1: "b", 2: "h", 4: "w", 8: "dw" };

// Small and negative immediates in decimal, the rest in hex, as bpf_conformance's disassembler does.
export function formatImm(imm: number): string {
  if ((imm < 0 && imm !== -0x80000000) || (imm >= -10 && imm <= 10)) return `${imm}`;
  return `0x${(imm >>> 0).toString(16)}`;
}

const signedOffset = (offset: number): string => (offset >= 0 ? `+${offset}` : `${offset}`);
const memory = (base: number, off: number): string => (off === 0 ? `[${reg(base)}]` : `[${reg(base)}${signedOffset(off)}]`);
const width32 = (width: 32 | 64): string => (width === 32 ? "32" : "");

export function formatMnemonic(form: Instruction): string {
  switch (form.kind) {
    case "alu":
      return `${form.op}${width32(form.width)} ${reg(form.dst)}, ${form.source === "reg" ? reg(form.src) : formatImm(form.imm)}`;
    case "neg":
      return `neg${width32(form.width)} ${reg(form.dst)}`;
    case "movsx":
      return `movsx${form.fromBits}${form.width} ${reg(form.dst)}, ${reg(form.src)}`;
    case "endian":
      return `${form.op}${form.bits} ${reg(form.dst)}`;
    case "ja":
      return `${form.long ? "ja32" : "ja"} ${signedOffset(form.offset)}`;
    case "jcond": {
      const operand = form.source === "reg" ? reg(form.src) : formatImm(form.imm);
      return `${form.op}${width32(form.width)} ${reg(form.dst)}, ${operand}, ${signedOffset(form.offset)}`;
    }
    case "callHelper":
      return `call ${form.helperId}`;
    case "callLocal":
      return `call local ${signedOffset(form.offset)}`;
    case "callKfunc":
      return form.btfFdIndex === 0 ? `call runtime ${form.btfId}` : `call runtime ${form.btfId}, ${form.btfFdIndex}`;
    case "callx":
      return `call ${reg(form.dst)}`;
    case "exit":
      return "exit";
    case "lddw": {
      if (form.pseudo === "imm64") return `lddw ${reg(form.dst)}, 0x${joinImm64(form.imm, form.nextImm).toString(16)}`;
      const word = pseudoWordOf[form.pseudo];
      if (form.pseudo === "func") return `lddw ${reg(form.dst)}, ${word} ${signedOffset(form.imm)}`;
      const next = form.nextImm === 0 ? "" : `, ${formatImm(form.nextImm)}`;
      return `lddw ${reg(form.dst)}, ${word} ${formatImm(form.imm)}${next}`;
    }
    case "ldLegacy":
      return form.mode === "abs"
        ? `ldabs${SUFFIX_OF_SIZE[form.sizeBytes]} ${formatImm(form.imm)}`
        : `ldind${SUFFIX_OF_SIZE[form.sizeBytes]} ${reg(form.src)}, ${formatImm(form.imm)}`;
    case "load":
      return `ldx${form.signed ? "s" : ""}${SUFFIX_OF_SIZE[form.sizeBytes]} ${reg(form.dst)}, ${memory(form.src, form.off)}`;
    case "storeImm":
      return `st${SUFFIX_OF_SIZE[form.sizeBytes]} ${memory(form.dst, form.off)}, ${formatImm(form.imm)}`;
    case "storeReg":
      return `stx${SUFFIX_OF_SIZE[form.sizeBytes]} ${memory(form.dst, form.off)}, ${reg(form.src)}`;
    case "atomic": {
      const fetch = form.fetch && form.op !== "xchg" && form.op !== "cmpxchg" ? "fetch " : "";
      return `lock ${fetch}${form.op}${form.sizeBytes === 4 ? "32" : ""} ${memory(form.dst, form.off)}, ${reg(form.src)}`;
    }
  }
}
