// The static checks the kernel makes before exploring any path
// (kernel/bpf/verifier.c add_subprog_and_kfunc, check_subprogs, check_cfg):
// where the functions start, that every jump stays inside its function and
// the program, that each function ends in exit or goto, that every
// instruction can be reached, and (without CAP_BPF) that there is no loop.
import { type Instruction, branchTarget, classify } from "../ebpf/describe.ts";
import type { Program } from "../ebpf/instruction.ts";
import { Reject } from "./reject.ts";

export interface FunctionInfo {
  readonly startPc: number;
  // One past the last slot.
  readonly endPc: number;
}

export interface ProgramLayout {
  readonly forms: readonly (Instruction | undefined)[];
  readonly functions: readonly FunctionInfo[];
  readonly funcOf: readonly number[];
}

// The instruction forms of a program (undefined at lddw second slots); invalid encodings become rejections.
export function instructionForms(program: Program): (Instruction | undefined)[] {
  const forms: (Instruction | undefined)[] = new Array(program.length).fill(undefined);
  for (let pc = 0; pc < program.length; pc++) {
    const form = classify(program[pc], program[pc + 1]);
    if (typeof form === "string") {
      throw new Reject([`invalid insn ${pc}: ${form}`], "EINVAL", pc);
    }
    forms[pc] = form;
    if (form.kind === "lddw") pc++;
  }
  return forms;
}

export function layoutProgram(program: Program): ProgramLayout {
  if (program.length === 0) throw new Reject(["empty program"], "EINVAL");
  const forms = instructionForms(program);
  const starts = new Set<number>([0]);
  forms.forEach((form, pc) => {
    if (form === undefined) return;
    const isCallTarget = form.kind === "callLocal" || (form.kind === "lddw" && form.pseudo === "func");
    if (!isCallTarget) return;
    const target = branchTarget(form, pc)!;
    if (target < 0 || target >= program.length) throw new Reject(["call to invalid destination"], "EINVAL", pc);
    starts.add(target);
  });
  const sorted = [...starts].sort((a, b) => a - b);
  const functions = sorted.map((startPc, i) => ({ startPc, endPc: sorted[i + 1] ?? program.length }));
  const funcOf = new Array<number>(program.length).fill(0);
  functions.forEach((f, i) => funcOf.fill(i, f.startPc, f.endPc));
  checkFunctions(forms, functions, funcOf);
  return { forms, functions, funcOf };
}

// check_subprogs: jumps stay in their function; each function's last slot is exit or an unconditional jump.
function checkFunctions(forms: readonly (Instruction | undefined)[], functions: readonly FunctionInfo[], funcOf: readonly number[]): void {
  forms.forEach((form, pc) => {
    if (form === undefined || (form.kind !== "ja" && form.kind !== "jcond")) return;
    const target = branchTarget(form, pc)!;
    const f = functions[funcOf[pc]];
    if (target < f.startPc || target >= f.endPc) throw new Reject([`jump out of range from insn ${pc} to ${target}`], "EINVAL", pc);
  });
  for (const f of functions) {
    const last = lastInsnPc(forms, f);
    const form = forms[last];
    if (form === undefined || (form.kind !== "exit" && form.kind !== "ja")) throw new Reject(["last insn is not an exit or jmp"], "EINVAL", last);
  }
}

function lastInsnPc(forms: readonly (Instruction | undefined)[], f: FunctionInfo): number {
  // The last slot of a function may be the second half of an lddw.
  const last = f.endPc - 1;
  return forms[last] === undefined && last > f.startPc ? last - 1 : last;
}

// The pcs control can reach next from `pc` inside the CFG (calls step over the callee, whose entry is a separate root).
export function successors(forms: readonly (Instruction | undefined)[], pc: number): number[] {
  const form = forms[pc];
  if (form === undefined) return [];
  switch (form.kind) {
    case "exit":
      return [];
    case "ja":
      return [branchTarget(form, pc)!];
    case "jcond":
      return [pc + 1, branchTarget(form, pc)!];
    case "lddw":
      return [pc + 2];
    default:
      return [pc + 1];
  }
}

// check_cfg: depth-first walk from pc 0 (entering callees), rejecting unreachable slots and, without CAP_BPF, back-edges.
export function checkCfg(layout: ProgramLayout, bpfCapable: boolean): void {
  const { forms } = layout;
  const n = forms.length;
  const DISCOVERED = 1;
  const EXPLORED = 2;
  const mark = new Uint8Array(n);
  const stack: { pc: number; next: number[] }[] = [];
  const visit = (pc: number, from: number): void => {
    if (pc < 0 || pc >= n) throw new Reject([`jump out of range from insn ${from} to ${pc}`], "EINVAL", from);
    if (forms[pc] === undefined) throw new Reject([`jump into the middle of ldimm64 insn ${pc - 1}`], "EINVAL", from);
    if (mark[pc] === DISCOVERED) {
      if (!bpfCapable) throw new Reject([`back-edge from insn ${from} to ${pc}`], "EINVAL", from);
      return;
    }
    if (mark[pc] === EXPLORED) return;
    mark[pc] = DISCOVERED;
    const form = forms[pc]!;
    const next = successors(forms, pc);
    if (form.kind === "callLocal" || (form.kind === "lddw" && form.pseudo === "func")) next.push(branchTarget(form, pc)!);
    stack.push({ pc, next });
  };
  visit(0, 0);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const target = top.next.shift();
    if (target === undefined) {
      mark[top.pc] = EXPLORED;
      stack.pop();
      continue;
    }
    if (target >= n && forms[top.pc]?.kind !== "jcond" && forms[top.pc]?.kind !== "ja") {
      throw new Reject([`jump out of range from insn ${top.pc} to ${target}`], "EINVAL", top.pc);
    }
    visit(target, top.pc);
  }
  for (let pc = 0; pc < n; pc++) {
    if (forms[pc] !== undefined && mark[pc] !== EXPLORED) throw new Reject([`unreachable insn ${pc}`], "EINVAL", pc);
  }
}
