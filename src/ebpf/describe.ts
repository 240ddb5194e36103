// One readable form per instruction: `describe` turns the raw slot(s) at a pc
// into a discriminated union that the verifier, interpreter, offload compiler,
// printers and assembler all share; `toSlots` turns a form back into slots.
// Every encoding RFC 9669 allows (plus callx) has exactly one form, so
// toSlots(describe(slot)) reproduces the slot bit for bit.
import { type ArithmeticInstruction, aluSlot, classifyAlu } from "./alu.ts";
import { type AtomicInstruction, atomicSlot, classifyAtomic } from "./atomic.ts";
import type { Insn, Program } from "./instruction.ts";
import { type JumpInstruction, classifyJump, jumpSlot } from "./jump.ts";
import { type LoadStoreInstruction, classifyLddw, classifyLoadStore, loadStoreSlots } from "./load-store.ts";
import { Class, LDDW, Mode, opClass, opMode } from "./opcode.ts";

export type Instruction = ArithmeticInstruction | JumpInstruction | LoadStoreInstruction | AtomicInstruction;
export type InstructionKind = Instruction["kind"];

// Thrown by `describe` for an invalid encoding; decodeProgram turns the reason into an EbpfDecodeError with a position.
export class InvalidInstruction extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "InvalidInstruction";
  }
}

// The form of the instruction whose (first) slot is `slot`; `next` is the
// following slot, needed only by lddw. Returns the reason when it is invalid.
export function classify(slot: Insn, next?: Insn): Instruction | string {
  if (!isSlotShaped(slot)) return "slot fields out of range (opcode 0-255, registers 0-15, off s16, imm s32)";
  if (slot.opcode === LDDW) return classifyLddw(slot, next);
  switch (opClass(slot.opcode)) {
    case Class.ALU:
    case Class.ALU64:
      return classifyAlu(slot);
    case Class.JMP:
    case Class.JMP32:
      return classifyJump(slot);
    case Class.STX:
      return opMode(slot.opcode) === Mode.ATOMIC ? classifyAtomic(slot) : classifyLoadStore(slot);
    default:
      return classifyLoadStore(slot);
  }
}

// Like classify, but throws InvalidInstruction for an invalid encoding.
export function describe(slot: Insn, next?: Insn): Instruction {
  const form = classify(slot, next);
  if (typeof form === "string") throw new InvalidInstruction(form);
  return form;
}

// The form of the instruction at `pc` in a program (pc must be the first slot of an lddw, not its second).
export const describeAt = (program: Program, pc: number): Instruction => describe(program[pc], program[pc + 1]);

export const isValidInsn = (slot: Insn, next?: Insn): boolean => typeof classify(slot, next) !== "string";

// The reason `slot` (with `next` for lddw) is invalid, or undefined when it is valid.
export function invalidReason(slot: Insn, next?: Insn): string | undefined {
  const form = classify(slot, next);
  return typeof form === "string" ? form : undefined;
}

// Slots an instruction occupies: 2 for lddw, 1 for everything else.
export const slotCount = (form: Instruction): 1 | 2 => (form.kind === "lddw" ? 2 : 1);

export function toSlots(form: Instruction): Insn[] {
  switch (form.kind) {
    case "alu":
    case "neg":
    case "movsx":
    case "endian":
      return [aluSlot(form)];
    case "ja":
    case "jcond":
    case "callHelper":
    case "callLocal":
    case "callKfunc":
    case "callx":
    case "exit":
      return [jumpSlot(form)];
    case "lddw":
    case "ldLegacy":
    case "load":
    case "storeImm":
    case "storeReg":
      return loadStoreSlots(form);
    case "atomic":
      return [atomicSlot(form)];
  }
}

// The pc a pc-relative form points at (ja, jcond, callLocal, lddw of a func), or undefined for the rest.
export function branchTarget(form: Instruction, pc: number): number | undefined {
  switch (form.kind) {
    case "ja":
    case "jcond":
    case "callLocal":
      return pc + 1 + form.offset;
    case "lddw":
      return form.pseudo === "func" ? pc + 1 + form.imm : undefined;
    default:
      return undefined;
  }
}

function isSlotShaped(slot: Insn): boolean {
  return (
    Number.isInteger(slot.opcode) && slot.opcode >= 0 && slot.opcode <= 0xff &&
    Number.isInteger(slot.dst) && slot.dst >= 0 && slot.dst <= 0xf &&
    Number.isInteger(slot.src) && slot.src >= 0 && slot.src <= 0xf &&
    Number.isInteger(slot.off) && slot.off >= -0x8000 && slot.off <= 0x7fff &&
    Number.isInteger(slot.imm) && slot.imm >= -0x80000000 && slot.imm <= 0x7fffffff
  );
}
