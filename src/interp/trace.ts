// One line per executed instruction for trace output: pc, call depth, the
// instruction as llvm-objdump writes it, and the registers that are not zero.
import { classify } from "../ebpf/describe.ts";
import { formatInstruction } from "../ebpf/disasm.ts";
import type { TraceStep } from "./env.ts";

export function formatTraceStep(step: TraceStep): string {
  const form = classify(step.insn, step.next);
  const text = typeof form === "string" ? `(invalid: ${form})` : formatInstruction(form);
  const regs = step.regs
    .map((value, r) => (value === 0n ? "" : `r${r}=0x${value.toString(16)}`))
    .filter((entry) => entry !== "")
    .join(" ");
  const depth = step.depth > 0 ? ` [frame ${step.depth}]` : "";
  return `${String(step.pc).padStart(5)}${depth}: ${text.padEnd(28)} ${regs}`;
}
