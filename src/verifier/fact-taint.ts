// The facts (facts.ts) join the states the exploration visited. A prune that
// relied on imprecise scalars (explore.ts ImpreciseJoin) ends a path whose
// scalars the explored state does not cover by value; the instructions after
// it never saw those values. This forward pass over the program finds, from
// each such point, which registers may carry them at each instruction (through
// moves, arithmetic, calls and returns) and whether the stack may (a store of
// one, or a deviating spilled scalar); those facts are widened to unknown, so
// that every fact still holds on every path the kernel would run.
import type { Instruction } from "../ebpf/describe.ts";
import { branchTarget } from "../ebpf/describe.ts";
import type { FunctionInfo } from "./cfg.ts";
import type { ImpreciseJoin } from "./explore.ts";
import { takesCallback } from "./helper-call.ts";

const bit = (r: number): number => 1 << r;
const ARGS = bit(1) | bit(2) | bit(3) | bit(4) | bit(5);
const CALLER_SAVED = bit(0) | ARGS;
// r0-r9: r10 is the frame pointer, never a scalar.
const ALL_SCALAR_REGS = 0x3ff;

export interface FactTaint {
  // Registers whose facts at each instruction may miss values of a pruned path.
  readonly regsAt: Uint16Array;
  // Instructions a pruned path may reach.
  readonly reached: Uint8Array;
  // Whether a pruned path's stack may hold values the explored states' did not, for loads (they are then
  // tainted), and for the stack's own facts (they then go).
  readonly stack: boolean;
  readonly stackFacts: boolean;
}

export function factTaint(forms: readonly (Instruction | undefined)[], functions: readonly FunctionInfo[], joins: readonly ImpreciseJoin[]): FactTaint {
  const n = forms.length;
  const regsAt = new Uint16Array(n);
  const reached = new Uint8Array(n);
  const graph = callGraph(forms, functions);
  let stack = joins.some((j) => j.stack);
  const work: number[] = [];
  const flow = (pc: number, mask: number): void => {
    if (pc < 0 || pc >= n || forms[pc] === undefined) return;
    const next = regsAt[pc] | mask;
    if (reached[pc] === 1 && next === regsAt[pc]) return;
    reached[pc] = 1;
    regsAt[pc] = next;
    work.push(pc);
  };
  for (const join of joins) {
    const inner = join.regs.length - 1;
    flow(join.pc, join.regs[inner]);
    // Each caller resumes after its call (a callback's caller at the helper call, which runs again).
    for (let f = 0; f < inner; f++) {
      const callsite = join.callsites[f + 1];
      flow(join.callbackFrames[f + 1] ? callsite : callsite + 1, join.regs[f]);
    }
  }
  for (let changed = true; changed; ) {
    changed = false;
    while (work.length > 0) {
      const pc = work.pop()!;
      const before = stack;
      stack = transfer(forms, pc, regsAt[pc], stack, graph, flow);
      if (stack && !before) changed = true;
    }
    // The stack became tainted: every load reached so far must be looked at again.
    if (changed) for (let pc = 0; pc < n; pc++) if (reached[pc] === 1) work.push(pc);
  }
  return { regsAt, reached, stack, stackFacts: stack || joins.some((j) => j.stackFacts) };
}

interface CallGraph {
  // Where each function's exit returns to: the instruction after each call of it.
  readonly returnSites: Map<number, number[]>;
  // Functions whose address is taken (callbacks), and the helper calls that may call them.
  readonly callbackEntries: number[];
  readonly callbackSites: number[];
  readonly functionOf: (pc: number) => FunctionInfo | undefined;
}

function callGraph(forms: readonly (Instruction | undefined)[], functions: readonly FunctionInfo[]): CallGraph {
  const returnSites = new Map<number, number[]>();
  const callbackEntries: number[] = [];
  const callbackSites: number[] = [];
  forms.forEach((form, pc) => {
    if (form?.kind === "callLocal") {
      const target = branchTarget(form, pc)!;
      returnSites.set(target, [...(returnSites.get(target) ?? []), pc + 1]);
    } else if (form?.kind === "lddw" && form.pseudo === "func") {
      callbackEntries.push(branchTarget(form, pc)!);
    } else if (form?.kind === "callHelper" && takesCallback(form.helperId)) {
      callbackSites.push(pc);
    }
  });
  const functionOf = (pc: number): FunctionInfo | undefined => functions.find((f) => pc >= f.startPc && pc < f.endPc);
  return { returnSites, callbackEntries, callbackSites, functionOf };
}

// One instruction: the registers tainted after it flow to its successors; returns whether the stack is tainted.
function transfer(forms: readonly (Instruction | undefined)[], pc: number, m: number, stack: boolean, g: CallGraph, flow: (pc: number, mask: number) => void): boolean {
  const form = forms[pc]!;
  const has = (r: number): boolean => ((m >> r) & 1) === 1;
  const set = (mask: number, r: number, tainted: boolean): number => (tainted ? mask | bit(r) : mask & ~bit(r));
  switch (form.kind) {
    case "alu":
      if (form.op === "mov") flow(pc + 1, set(m, form.dst, form.source === "reg" && has(form.src)));
      else flow(pc + 1, set(m, form.dst, has(form.dst) || (form.source === "reg" && has(form.src))));
      return stack;
    case "neg":
    case "endian":
      flow(pc + 1, m);
      return stack;
    case "movsx":
      flow(pc + 1, set(m, form.dst, has(form.src)));
      return stack;
    case "lddw":
      flow(pc + 2, set(m, form.dst, false));
      return stack;
    case "load":
      // Only the stack holds values the verifier knows; any load may read it.
      flow(pc + 1, set(m, form.dst, stack));
      return stack;
    case "storeReg":
      flow(pc + 1, m);
      return stack || has(form.src);
    case "storeImm":
      flow(pc + 1, m);
      return stack;
    case "atomic": {
      const loaded = form.op === "cmpxchg" ? 0 : form.fetch ? form.src : -1;
      flow(pc + 1, loaded >= 0 ? set(m, loaded, stack) : m);
      return stack || has(form.src) || (form.op === "cmpxchg" && has(0));
    }
    case "jcond": {
      // A comparison refines both operands and every register linked with them: with a tainted register on
      // either side, anything may be refined differently.
      const both = form.source === "reg" && (has(form.dst) || has(form.src));
      const out = both ? m | ALL_SCALAR_REGS : m;
      flow(pc + 1, out);
      flow(branchTarget(form, pc)!, out);
      return stack || both;
    }
    case "ja":
      flow(branchTarget(form, pc)!, m);
      return stack;
    case "callHelper":
      flow(pc + 1, m & ~CALLER_SAVED);
      if (takesCallback(form.helperId)) for (const entry of g.callbackEntries) flow(entry, (m & ARGS) !== 0 ? ARGS : 0);
      return stack;
    case "callLocal":
      flow(branchTarget(form, pc)!, m & ARGS);
      flow(pc + 1, m & ~CALLER_SAVED);
      return stack;
    case "exit": {
      const fn = g.functionOf(pc);
      if (fn === undefined) return stack;
      for (const site of g.returnSites.get(fn.startPc) ?? []) flow(site, m & bit(0));
      if (g.callbackEntries.includes(fn.startPc)) for (const site of g.callbackSites) flow(site, 0);
      return stack;
    }
    case "callKfunc":
    case "callx":
    case "ldLegacy":
      flow(pc + 1, m & ~CALLER_SAVED);
      return stack;
  }
}
