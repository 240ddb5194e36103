// One line per executed instruction for --trace style output: pc, call depth,
// the raw slot and the registers that are not zero.
import type { TraceStep } from "./env.ts";

export function formatTraceStep(step: TraceStep): string {
  const { opcode, dst, src, off, imm } = step.insn;
  const slot = `op=0x${opcode.toString(16).padStart(2, "0")} dst=r${dst} src=r${src} off=${off} imm=${imm}`;
  const regs = step.regs
    .map((value, r) => (value === 0n ? "" : `r${r}=0x${value.toString(16)}`))
    .filter((text) => text !== "")
    .join(" ");
  const depth = step.depth > 0 ? ` [frame ${step.depth}]` : "";
  return `${String(step.pc).padStart(5)}${depth}: ${slot}  ${regs}`;
}
