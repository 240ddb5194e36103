// The compiler's intermediate form: the eBPF program with bpf-to-bpf calls
// inlined, as basic blocks over virtual 64-bit registers. Every inlined
// function instance is a frame with its own registers (vreg = frame * 16 + r)
// and its own stack, so a callee can never clobber its caller's r0..r9, as in
// the interpreter. Instructions keep the eBPF forms of src/ebpf (with
// registers renamed to vregs) and the origin they came from, so blockers,
// explanations and host resume points always name the original pc.
import type {
  ArithmeticInstruction,
  AtomicInstruction,
  Instruction,
  JumpCondInstruction,
  LddwInstruction,
  LoadInstruction,
  StoreImmInstruction,
  StoreRegInstruction,
} from "../ebpf/index.ts";

export type VReg = number;

// Virtual registers per frame: r0..r10 of the frame; 11..15 unused.
export const REGS_PER_FRAME = 16;
export const FRAME_POINTER_REG = 10;
export const vreg = (frame: number, reg: number): VReg => frame * REGS_PER_FRAME + reg;
export const frameOf = (v: VReg): number => Math.floor(v / REGS_PER_FRAME);
export const regOf = (v: VReg): number => v % REGS_PER_FRAME;
export const vregName = (v: VReg): string => (frameOf(v) === 0 ? `r${regOf(v)}` : `f${frameOf(v)}.r${regOf(v)}`);

export interface Origin {
  // Slot index of the eBPF instruction.
  readonly pc: number;
  // Inlined frame the instruction runs in (0: the entry function).
  readonly frame: number;
  // Where the host interpreter resumes to run this instruction: the pc itself in
  // frame 0, the outermost call site for an instruction inside an inlined callee.
  readonly resumePc: number;
}

// Straight-line instructions (registers renamed to vregs).
export type IrForm = ArithmeticInstruction | LoadInstruction | StoreImmInstruction | StoreRegInstruction | AtomicInstruction | LddwInstruction;

export type IrInsn =
  | { readonly kind: "op"; readonly form: IrForm; readonly origin: Origin }
  // A helper call: args r1..r5 and the result r0 of the calling frame.
  | { readonly kind: "helper"; readonly helperId: number; readonly args: readonly VReg[]; readonly ret: VReg; readonly origin: Origin }
  // Entering an inlined callee (a no-op marker at the call site, before the argument copies).
  | { readonly kind: "call"; readonly calleeFrame: number; readonly origin: Origin }
  // An instruction the NIC never runs (callx, kfunc, legacy packet loads...): the host does.
  | { readonly kind: "opaque"; readonly form: Instruction; readonly origin: Origin; readonly reason: string };

export type IrTerm =
  // origin: the ja it came from, or the instruction it falls through to (absent for inlining glue).
  | { readonly kind: "goto"; readonly target: number; readonly origin?: Origin }
  | { readonly kind: "branch"; readonly cond: JumpCondInstruction; readonly taken: number; readonly fallthrough: number; readonly origin: Origin }
  | { readonly kind: "exit"; readonly value: VReg; readonly origin: Origin }
  // Execution cannot go on from here in any form the compiler knows (it runs off the program).
  | { readonly kind: "stop"; readonly origin: Origin; readonly reason: string };

export interface IrBlock {
  readonly id: number;
  // The inlined frame the block's code runs in.
  readonly frame: number;
  readonly insns: readonly IrInsn[];
  readonly term: IrTerm;
}

export interface FrameInfo {
  readonly index: number;
  readonly parent: number | undefined;
  readonly depth: number;
  // First pc of the function this frame runs.
  readonly functionPc: number;
  readonly functionName: string;
  // The call instruction in the parent frame (undefined for frame 0).
  readonly callPc: number | undefined;
}

export interface IrProgram {
  // blocks[0] is the entry.
  readonly blocks: readonly IrBlock[];
  readonly frames: readonly FrameInfo[];
}

export function successors(term: IrTerm): number[] {
  switch (term.kind) {
    case "goto":
      return [term.target];
    case "branch":
      return term.taken === term.fallthrough ? [term.taken] : [term.taken, term.fallthrough];
    case "exit":
    case "stop":
      return [];
  }
}

export function predecessors(program: IrProgram): number[][] {
  const preds: number[][] = program.blocks.map(() => []);
  for (const b of program.blocks) for (const s of successors(b.term)) preds[s].push(b.id);
  return preds;
}

export const originOf = (insn: IrInsn): Origin => insn.origin;

// Reverse post-order from the entry (unreachable blocks left out).
export function reversePostOrder(program: IrProgram, entry = 0): number[] {
  const seen = new Uint8Array(program.blocks.length);
  const order: number[] = [];
  const stack: [number, number][] = [[entry, 0]];
  seen[entry] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1];
    const succ = successors(program.blocks[top[0]].term);
    if (top[1] < succ.length) {
      const next = succ[top[1]++];
      if (!seen[next]) {
        seen[next] = 1;
        stack.push([next, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  return order.reverse();
}
