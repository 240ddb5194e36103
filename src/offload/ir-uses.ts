// Which virtual registers each IR instruction reads and writes. A helper call
// reads the arguments its prototype declares and writes r0; r1..r5 keep their
// values, as in the interpreter (the kernel calls them clobbered and the
// verifier refuses to read them, so for a verified program they are dead
// anyway). An opaque instruction (one only the host runs) reads every register of its frame.
import { helperPrototype, HelperId } from "../helpers/prototypes.ts";
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
      // A tail call continues in another program with this frame's registers (the interpreter keeps them all).
      if (insn.helperId === HelperId.TAIL_CALL) return frameRegs(insn.origin.frame);
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
      return [insn.ret];
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
