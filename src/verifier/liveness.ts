// Which registers may still be read before being written, at the entry of
// each instruction (the kernel's compute_live_registers): a backward dataflow
// over each function's CFG. A helper call reads its arguments and clobbers
// r0-r5; a bpf-to-bpf call reads r1-r5 and clobbers r0-r5 (the callee keeps
// r6-r9); exit reads r0. State pruning ignores dead registers.
import type { Instruction } from "../ebpf/describe.ts";
import { helperPrototype } from "../helpers/prototypes.ts";
import { successors } from "./cfg.ts";

const bit = (r: number): number => 1 << r;
const ARGS = bit(1) | bit(2) | bit(3) | bit(4) | bit(5);
const CALLER_SAVED = bit(0) | ARGS;
// Helpers take at most five arguments, in r1..r5.
const MAX_HELPER_ARGS = 5;

// The registers an instruction reads (use) and writes (def), as bit masks.
export function useDef(form: Instruction): { use: number; def: number } {
  switch (form.kind) {
    case "alu": {
      const src = form.source === "reg" ? bit(form.src) : 0;
      return { use: (form.op === "mov" ? 0 : bit(form.dst)) | src, def: bit(form.dst) };
    }
    case "neg":
    case "endian":
      return { use: bit(form.dst), def: bit(form.dst) };
    case "movsx":
      return { use: bit(form.src), def: bit(form.dst) };
    case "lddw":
      return { use: 0, def: bit(form.dst) };
    case "load":
      return { use: bit(form.src), def: bit(form.dst) };
    case "storeImm":
      return { use: bit(form.dst), def: 0 };
    case "storeReg":
      return { use: bit(form.dst) | bit(form.src), def: 0 };
    case "atomic": {
      const r0 = form.op === "cmpxchg" ? bit(0) : 0;
      const def = form.op === "cmpxchg" ? bit(0) : form.fetch ? bit(form.src) : 0;
      return { use: bit(form.dst) | bit(form.src) | r0, def };
    }
    case "jcond":
      return { use: bit(form.dst) | (form.source === "reg" ? bit(form.src) : 0), def: 0 };
    case "callHelper": {
      const args = Math.min(helperPrototype(form.helperId)?.args.length ?? MAX_HELPER_ARGS, MAX_HELPER_ARGS);
      let use = 0;
      for (let r = 1; r <= args; r++) use |= bit(r);
      return { use, def: CALLER_SAVED };
    }
    case "callLocal":
    case "callKfunc":
    case "callx":
      return { use: ARGS | (form.kind === "callx" ? bit(form.dst) : 0), def: CALLER_SAVED };
    case "ldLegacy":
      return { use: bit(6) | (form.mode === "ind" ? bit(form.src) : 0), def: CALLER_SAVED };
    case "exit":
      return { use: bit(0), def: 0 };
    case "ja":
      return { use: 0, def: 0 };
  }
}

// Bit r of liveIn[pc] is set when register r may be read at or after pc before it is written.
export function liveRegisters(forms: readonly (Instruction | undefined)[]): Uint16Array {
  const n = forms.length;
  const liveIn = new Uint16Array(n);
  const facts = forms.map((f) => (f === undefined ? { use: 0, def: 0 } : useDef(f)));
  const succ = forms.map((_, pc) => successors(forms, pc).filter((s) => s < n));
  let changed = true;
  while (changed) {
    changed = false;
    for (let pc = n - 1; pc >= 0; pc--) {
      if (forms[pc] === undefined) continue;
      let out = 0;
      for (const s of succ[pc]) out |= liveIn[s];
      const next = (facts[pc].use | (out & ~facts[pc].def)) & 0x7ff;
      if (next !== liveIn[pc]) {
        liveIn[pc] = next;
        changed = true;
      }
    }
  }
  return liveIn;
}

export const liveList = (mask: number): number[] => Array.from({ length: 11 }, (_, r) => r).filter((r) => (mask >> r) & 1);
