// What the compiler takes in: the program's slots, and when the program came
// from an ELF object, its function names and BTF line info (for blockers that
// name the C source line). A BpfProgram from src/elf satisfies this shape.
import { classify, formatInstruction, type Program } from "../ebpf/index.ts";
import type { AttachTypeName, FunctionSpan, LineInfo } from "../elf/index.ts";
import type { ExternRef } from "../elf/bpf-object.ts";

export interface OffloadSource {
  readonly insns: Program;
  readonly name?: string;
  readonly functions?: readonly FunctionSpan[];
  readonly lineInfo?: readonly LineInfo[];
  // From the ELF section (SEC("xdp/devmap") is xdp_devmap); absent for bare instructions.
  readonly expectedAttachType?: AttachTypeName;
  // kfunc calls and __ksym loads by pc (BpfProgram.externs), to name them in blockers.
  readonly externs?: readonly ExternRef[];
}

export function sourceOf(program: OffloadSource | Program): OffloadSource {
  return Array.isArray(program) ? { insns: program as Program } : (program as OffloadSource);
}

// The instruction at pc in LLVM syntax, or why it cannot be decoded.
export function disassembleAt(insns: Program, pc: number): string {
  const form = classify(insns[pc], insns[pc + 1]);
  return typeof form === "string" ? `(invalid: ${form})` : formatInstruction(form);
}

// The C source line of pc: the line info record at or before it.
export function sourceLineAt(source: OffloadSource, pc: number): { readonly file: string; readonly line: number; readonly text: string } | undefined {
  const records = source.lineInfo;
  if (!records || records.length === 0) return undefined;
  let best: LineInfo | undefined;
  for (const r of records) if (r.pc <= pc && (!best || r.pc >= best.pc)) best = r;
  return best ? { file: best.fileName, line: best.line, text: best.sourceLine.trim() } : undefined;
}
