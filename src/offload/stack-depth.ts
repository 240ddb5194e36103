// The program's eBPF stack as the kernel's verifier measures it (kernel/bpf/verifier.c,
// check_max_stack_depth): along each chain of bpf-to-bpf calls, the sum of every
// function's stack depth rounded up by round_up_stack_depth; the deepest chain is
// what must fit MAX_BPF_STACK, here the card's eBPF stack (preset offload.stackBytes).
import type { IrProgram } from "./ir.ts";
import type { StackLayout } from "./stack-layout.ts";

// kernel/bpf/verifier.c round_up_stack_depth for a program the kernel JITs (jit_requested,
// as on the hosts we compare with; src/verifier/verify.ts rounds the same): round_up(depth, 16).
// Without the JIT the kernel rounds to its interpreter's 32 bytes and counts a stackless function as one granule.
export const KERNEL_STACK_GRANULE_BYTES = 16;

export interface CallChainStack {
  // The kernel's measure of the deepest chain.
  readonly bytes: number;
  // The functions of that chain, outermost first, with their depths.
  readonly chain: readonly { readonly functionName: string; readonly depthBytes: number }[];
}

export const kernelFrameBytes = (depthBytes: number): number => Math.ceil(depthBytes / KERNEL_STACK_GRANULE_BYTES) * KERNEL_STACK_GRANULE_BYTES;

// Frames are the program's calls inlined (a parent precedes its callees), so each frame's
// chain is its parent's plus its own function.
export function deepestCallChain(program: IrProgram, layout: StackLayout): CallChainStack {
  const total: number[] = [];
  let deepest = 0;
  for (const f of program.frames) {
    const own = kernelFrameBytes(layout.functionDepthBytes.get(f.functionPc) ?? 0);
    total[f.index] = (f.parent === undefined ? 0 : total[f.parent]) + own;
    if (total[f.index] > total[deepest]) deepest = f.index;
  }
  const chain: { functionName: string; depthBytes: number }[] = [];
  for (let f: number | undefined = deepest; f !== undefined; f = program.frames[f].parent) {
    const info = program.frames[f];
    chain.unshift({ functionName: info.functionName, depthBytes: layout.functionDepthBytes.get(info.functionPc) ?? 0 });
  }
  return { bytes: total[deepest], chain };
}
