// Atomic read-modify-write instructions (STX with mode ATOMIC, RFC 9669 §5.3):
// add/or/and/xor with or without FETCH, xchg and cmpxchg, 32- and 64-bit.
// The operation lives in the imm field.
import { type Insn, insn } from "./instruction.ts";
import { ATOMIC_FETCH, AtomicOp, Class, Mode, Size, isRegisterNumber, opSize } from "./opcode.ts";

export type AtomicOpName = "add" | "or" | "and" | "xor" | "xchg" | "cmpxchg";

// *(size *)(dst + off) OP= src. With fetch, src receives the old value; cmpxchg
// compares with r0 and always loads the old value into r0. xchg/cmpxchg always fetch.
export interface AtomicInstruction {
  readonly kind: "atomic";
  readonly sizeBytes: 4 | 8;
  readonly op: AtomicOpName;
  readonly fetch: boolean;
  readonly dst: number;
  readonly src: number;
  readonly off: number;
}

const immOfOp: Readonly<Record<AtomicOpName, number>> = {
  add: AtomicOp.ADD,
  or: AtomicOp.OR,
  and: AtomicOp.AND,
  xor: AtomicOp.XOR,
  xchg: AtomicOp.XCHG,
  cmpxchg: AtomicOp.CMPXCHG,
};

export const atomicOpList = Object.keys(immOfOp) as readonly AtomicOpName[];

// xchg and cmpxchg carry FETCH in their encoding; the simple ops may or may not.
export const alwaysFetches = (op: AtomicOpName): boolean => op === "xchg" || op === "cmpxchg";

export function classifyAtomic(slot: Insn): AtomicInstruction | string {
  const size = opSize(slot.opcode);
  if (size !== Size.W && size !== Size.DW) return "atomic operations exist only in sizes W and DW";
  if (!isRegisterNumber(slot.dst)) return `destination register r${slot.dst} does not exist (r0-r10 only)`;
  if (!isRegisterNumber(slot.src)) return `source register r${slot.src} does not exist (r0-r10 only)`;
  const sizeBytes = size === Size.DW ? 8 : 4;
  const fetch = (slot.imm & ATOMIC_FETCH) !== 0;
  for (const op of atomicOpList) {
    const code = immOfOp[op];
    if (alwaysFetches(op) ? slot.imm === code : slot.imm === code || slot.imm === (code | ATOMIC_FETCH)) {
      return { kind: "atomic", sizeBytes, op, fetch, dst: slot.dst, src: slot.src, off: slot.off };
    }
  }
  return `atomic operation 0x${(slot.imm >>> 0).toString(16)} in imm is not add, or, and, xor (each optionally | FETCH), xchg or cmpxchg`;
}

export function atomicSlot(form: AtomicInstruction): Insn {
  const size = form.sizeBytes === 8 ? Size.DW : Size.W;
  const imm = immOfOp[form.op] | (form.fetch ? ATOMIC_FETCH : 0);
  return insn(Class.STX | Mode.ATOMIC | size, form.dst, form.src, form.off, imm);
}
