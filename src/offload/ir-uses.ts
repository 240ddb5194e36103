// Which virtual registers each IR instruction reads and writes. A helper call
// reads the arguments its prototype declares and clobbers r0..r5 (the kernel's
// calling convention: the verifier refuses reads of r1..r5 after a call); an
// opaque instruction (one only the host runs) reads every register of its frame.
import { helperPrototype } from "../helpers/prototypes.ts";
import { FRAME_POINTER_REG, REGS_PER_FRAME, frameOf, vreg, type IrInsn, type IrTerm, type VReg } from "./ir.ts";

const frameRegs = (frame: number): VReg[] => Array.from({ length: FRAME_POINTER_REG + 1 }, (_, r) => vreg(frame, r));

export function helperArgCount(helperId: number): number {
  return helperPrototype(helperId)?.args.length ?? 5;
}

export function usesOf(insn: IrInsn): VReg[] {
  switch (insn.kind) {
    case "call":
      return [];
    case "opaque":
      return frameRegs(insn.origin.frame);
    case "helper":
      return insn.args.slice(0, helperArgCount(insn.helperId));
    case "op": {
      const f = insn.form;
      switch (f.kind) {
        case "alu":
          if (f.op === "mov") return f.source === "reg" ? [f.src] : [];
          return f.source === "reg" ? [f.dst, f.src] : [f.dst];
        case "neg":
        case "endian":
          return [f.dst];
        case "movsx":
        case "load":
          return [f.src];
        case "storeImm":
          return [f.dst];
        case "storeReg":
          return [f.dst, f.src];
        case "atomic":
          return f.op === "cmpxchg" ? [f.dst, f.src, vreg(frameOf(f.dst), 0)] : [f.dst, f.src];
        case "lddw":
          return [];
      }
    }
  }
}

export function defsOf(insn: IrInsn): VReg[] {
  switch (insn.kind) {
    case "call":
    case "opaque":
      return [];
    case "helper":
      return [insn.ret, ...insn.args];
    case "op": {
      const f = insn.form;
      switch (f.kind) {
        case "alu":
        case "neg":
        case "endian":
        case "movsx":
        case "load":
        case "lddw":
          return [f.dst];
        case "storeImm":
        case "storeReg":
          return [];
        case "atomic":
          if (f.op === "cmpxchg") return [vreg(frameOf(f.dst), 0)];
          return f.fetch ? [f.src] : [];
      }
    }
  }
}

export function termUses(term: IrTerm): VReg[] {
  switch (term.kind) {
    case "branch":
      return term.cond.source === "reg" ? [term.cond.dst, term.cond.src] : [term.cond.dst];
    case "exit":
      return [term.value];
    case "goto":
    case "stop":
      return [];
  }
}

export const isFramePointer = (v: VReg): boolean => v % REGS_PER_FRAME === FRAME_POINTER_REG;
