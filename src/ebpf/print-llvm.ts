// Prints one instruction in the LLVM/kernel syntax exactly as llvm-objdump 14
// does (`r0 = *(u32 *)(r1 + 4)`, `if w1 > 5 goto +3`, `r1 = 0 ll`). Where
// LLVM 14 has no syntax (v4 instructions, BPF_ST, mod, jset) this follows
// newer LLVM; where LLVM's text would lose information a round trip needs,
// this deviates as listed in docs/isa.md (local/kfunc calls, ld_pseudo, skb[r + imm]).
import type { Instruction } from "./describe.ts";
import { joinImm64 } from "./instruction.ts";
import { aluOps, jmpOps, pseudoLdNames } from "./opcode.ts";
import type { AluOpName } from "./alu.ts";
import type { JumpCondName } from "./jump.ts";
import { llvmRegister as reg } from "./register.ts";
import { AluOp, JmpOp } from "./opcode.ts";

// The compound assignment of each two-operand op; signed div/mod are newer LLVM's `s/=` and `s%=`.
const aluSymbol: Readonly<Record<AluOpName, string>> = {
  add: aluOps.get(AluOp.ADD)!.symbol!,
  sub: aluOps.get(AluOp.SUB)!.symbol!,
  mul: aluOps.get(AluOp.MUL)!.symbol!,
  div: aluOps.get(AluOp.DIV)!.symbol!,
  sdiv: `s${aluOps.get(AluOp.DIV)!.symbol!}`,
  or: aluOps.get(AluOp.OR)!.symbol!,
  and: aluOps.get(AluOp.AND)!.symbol!,
  lsh: aluOps.get(AluOp.LSH)!.symbol!,
  rsh: aluOps.get(AluOp.RSH)!.symbol!,
  mod: aluOps.get(AluOp.MOD)!.symbol!,
  smod: `s${aluOps.get(AluOp.MOD)!.symbol!}`,
  xor: aluOps.get(AluOp.XOR)!.symbol!,
  mov: aluOps.get(AluOp.MOV)!.symbol!,
  arsh: aluOps.get(AluOp.ARSH)!.symbol!,
};

const condCode: Readonly<Record<JumpCondName, number>> = {
  jeq: JmpOp.JEQ, jgt: JmpOp.JGT, jge: JmpOp.JGE, jset: JmpOp.JSET, jne: JmpOp.JNE, jsgt: JmpOp.JSGT,
  jsge: JmpOp.JSGE, jlt: JmpOp.JLT, jle: JmpOp.JLE, jslt: JmpOp.JSLT, jsle: JmpOp.JSLE,
};

export const condSymbol = (op: JumpCondName): string => jmpOps.get(condCode[op])!.symbol!;
export const aluSymbolOf = (op: AluOpName): string => aluSymbol[op];

const signedOffset = (offset: number): string => (offset >= 0 ? `+${offset}` : `${offset}`);
const address = (base: number, off: number): string => `(${reg(base)} ${off < 0 ? "-" : "+"} ${Math.abs(off)})`;
const memType = (signed: boolean, sizeBytes: number): string => `${signed ? "s" : "u"}${sizeBytes * 8}`;

export function formatLlvm(form: Instruction): string {
  switch (form.kind) {
    case "alu": {
      const operand = form.source === "reg" ? reg(form.src, form.width) : `${form.imm}`;
      return `${reg(form.dst, form.width)} ${aluSymbol[form.op]} ${operand}`;
    }
    case "neg":
      return `${reg(form.dst, form.width)} = -${reg(form.dst, form.width)}`;
    case "movsx":
      return `${reg(form.dst, form.width)} = (s${form.fromBits})${reg(form.src, form.width)}`;
    case "endian":
      return `${reg(form.dst)} = ${form.op}${form.bits} ${reg(form.dst)}`;
    case "ja":
      return `${form.long ? "gotol" : "goto"} ${signedOffset(form.offset)}`;
    case "jcond": {
      const operand = form.source === "reg" ? reg(form.src, form.width) : `${form.imm}`;
      return `if ${reg(form.dst, form.width)} ${condSymbol(form.op)} ${operand} goto ${signedOffset(form.offset)}`;
    }
    case "callHelper":
      return `call ${form.helperId}`;
    case "callLocal":
      return `call pc${signedOffset(form.offset)}`;
    case "callKfunc":
      return form.btfFdIndex === 0 ? `call kfunc ${form.btfId}` : `call kfunc ${form.btfId}, ${form.btfFdIndex}`;
    case "callx":
      return `callx ${reg(form.dst)}`;
    case "exit":
      return "exit";
    case "lddw": {
      const value = joinImm64(form.imm, form.nextImm);
      if (form.pseudo === "imm64") return `${reg(form.dst)} = ${BigInt.asIntN(64, value)} ll`;
      return `ld_pseudo\t${reg(form.dst)}, ${pseudoLdNames.indexOf(form.pseudo)}, ${value}`;
    }
    case "ldLegacy": {
      const index =
        form.mode === "abs" ? `${form.imm}`
        : form.imm === 0 ? reg(form.src)
        : `${reg(form.src)} ${form.imm < 0 ? "-" : "+"} ${Math.abs(form.imm)}`;
      return `r0 = *(u${form.sizeBytes * 8} *)skb[${index}]`;
    }
    case "load":
      return `${reg(form.dst)} = *(${memType(form.signed, form.sizeBytes)} *)${address(form.src, form.off)}`;
    case "storeImm":
      return `*(u${form.sizeBytes * 8} *)${address(form.dst, form.off)} = ${form.imm}`;
    case "storeReg":
      return `*(u${form.sizeBytes * 8} *)${address(form.dst, form.off)} = ${reg(form.src)}`;
    case "atomic":
      return formatAtomic(form);
  }
}

// llvm-objdump without +alu32 prints a 32-bit atomic add with r registers; every other
// 32-bit atomic exists only in LLVM's alu32 table, so it prints with w registers.
function formatAtomic(form: Extract<Instruction, { kind: "atomic" }>): string {
  const bits = form.sizeBytes * 8;
  const view = bits === 32 ? 32 : 64;
  const src = reg(form.src, view);
  const at = `${reg(form.dst)} ${form.off < 0 ? "-" : "+"} ${Math.abs(form.off)}`;
  switch (form.op) {
    case "xchg":
      return `${src} = ${bits === 64 ? "xchg_64" : "xchg32_32"}(${at}, ${src})`;
    case "cmpxchg":
      return `${reg(0, view)} = ${bits === 64 ? "cmpxchg_64" : "cmpxchg32_32"}(${at}, ${reg(0, view)}, ${src})`;
    default: {
      if (form.fetch) return `${src} = atomic_fetch_${form.op}((u${bits} *)(${at}), ${src})`;
      const plainSrc = form.op === "add" ? reg(form.src) : src;
      return `lock *(u${bits} *)(${at}) ${aluSymbol[form.op]} ${plainSrc}`;
    }
  }
}
