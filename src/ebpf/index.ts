// Public API of the eBPF instruction-set layer.
export * from "./opcode.ts";
export * from "./instruction.ts";
export type { AluInstruction, AluOpName, AluWidth, ArithmeticInstruction, EndianInstruction, MovsxInstruction, NegInstruction, OperandSource } from "./alu.ts";
export type { AtomicInstruction, AtomicOpName } from "./atomic.ts";
export type {
  CallHelperInstruction, CallKfuncInstruction, CallLocalInstruction, CallxInstruction, ExitInstruction,
  JaInstruction, JumpCondInstruction, JumpCondName, JumpInstruction, JumpWidth,
} from "./jump.ts";
export type { LddwInstruction, LegacyLoadInstruction, LoadInstruction, LoadStoreInstruction, SizeBytes, StoreImmInstruction, StoreRegInstruction } from "./load-store.ts";
export { type Instruction, type InstructionKind, InvalidInstruction, branchTarget, classify, describe, describeAt, invalidReason, isValidInsn, slotCount, toSlots } from "./describe.ts";
export { type DecodeOptions, EbpfDecodeError, decodeProgram, validateProgram } from "./decode.ts";
export { type EncodeOptions, encodeProgram } from "./encode.ts";
export { AsmError, type AssembleOptions, assemble } from "./asm.ts";
export { type RegisterView, llvmRegister, mnemonicRegister, parseRegisterName } from "./register.ts";
export {
  type AsmSyntax, type DisassembleOptions, type DisassembledInstruction, type ListingOptions,
  disassemble, disassembleInstructions, formatInstruction, listRawBytes, listing,
} from "./disasm.ts";
