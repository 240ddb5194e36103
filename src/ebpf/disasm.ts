// The disassembler: Program → text in either syntax. `disassemble` gives one
// instruction per line that `assemble` reads back to the same bytes;
// `listing` gives llvm-objdump-style lines (`pc: bytes  text`) for people.
import { type DecodeOptions, decodeErrorAt, decodeProgram } from "./decode.ts";
import { type Instruction, classify, slotCount } from "./describe.ts";
import { type Program, hexByte, writeSlot } from "./instruction.ts";
import { INSN_BYTES } from "./opcode.ts";
import { formatLlvm } from "./print-llvm.ts";
import { formatMnemonic } from "./print-mnemonic.ts";

export type AsmSyntax = "llvm" | "mnemonic";

export interface DisassembleOptions {
  // "llvm" (default): kernel/LLVM syntax as llvm-objdump prints it; "mnemonic": bpf_conformance syntax.
  readonly syntax?: AsmSyntax;
}

export interface DisassembledInstruction {
  readonly pc: number;
  readonly form: Instruction;
  readonly text: string;
}

export function formatInstruction(form: Instruction, syntax: AsmSyntax = "llvm"): string {
  return syntax === "llvm" ? formatLlvm(form) : formatMnemonic(form);
}

// Each instruction of the program with its pc (lddw covers two pcs); throws EbpfDecodeError on an invalid slot.
export function disassembleInstructions(program: Program, opts: DisassembleOptions = {}): DisassembledInstruction[] {
  const out: DisassembledInstruction[] = [];
  for (let pc = 0; pc < program.length; ) {
    const form = classify(program[pc], program[pc + 1]);
    if (typeof form === "string") throw decodeErrorAt(form, pc);
    out.push({ pc, form, text: formatInstruction(form, opts.syntax) });
    pc += slotCount(form);
  }
  return out;
}

// One instruction per line, each line ending in a newline; assemble(disassemble(p)) reproduces p.
export function disassemble(program: Program, opts: DisassembleOptions = {}): string {
  return disassembleInstructions(program, opts).map((i) => `${i.text}\n`).join("");
}

export interface ListingOptions extends DisassembleOptions {
  readonly littleEndian?: boolean;
}

// llvm-objdump -d style: the pc right-aligned in 8 columns, a colon, a tab, the
// instruction's bytes (16 for lddw), a tab, the text.
export function listing(program: Program, opts: ListingOptions = {}): string {
  return disassembleInstructions(program, opts)
    .map(({ pc, form, text }) => {
      const bytes = new Uint8Array(slotCount(form) * INSN_BYTES);
      for (let i = 0; i < slotCount(form); i++) writeSlot(bytes, i * INSN_BYTES, program[pc + i], opts.littleEndian ?? true);
      return `${String(pc).padStart(8)}:\t${Array.from(bytes, hexByte).join(" ")}\t${text}\n`;
    })
    .join("");
}

// Raw instruction bytes (no container) → listing. The ELF input path decodes a
// section's bytes and calls `listing` the same way.
export function listRawBytes(bytes: Uint8Array, opts: ListingOptions & DecodeOptions = {}): string {
  return listing(decodeProgram(bytes, opts), opts);
}
