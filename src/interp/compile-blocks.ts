// The basic blocks the compiled tier emits for one function entry: every
// instruction reachable from the entry without entering a callee, cut into
// straight runs that control enters only at the top. A block ends at a jump,
// a call (so that helpers see an exact instruction count, and a bpf-to-bpf
// call is a return point), an exit, an instruction that always faults, or
// just before another block's first instruction. Stepwise blocks hold one
// instruction each (used to stop exactly at an instruction budget).
import type { Program } from "../ebpf/instruction.ts";
import { flowAt, type Flow } from "./compile-check.ts";

export interface Block {
  readonly id: number;
  // The pcs of the block's instructions, in order (an lddw counts once, at its first slot).
  readonly pcs: readonly number[];
  readonly flows: readonly Flow[];
}

export interface FunctionBlocks {
  readonly blocks: readonly Block[];
  readonly blockAt: ReadonlyMap<number, number>;
}

const inProgram = (program: Program, pc: number): boolean => pc >= 0 && pc < program.length;

export function findBlocks(program: Program, entry: number, stepwise: boolean): FunctionBlocks {
  const flows = new Map<number, Flow>();
  const leaders = new Set<number>([entry]);
  const work = [entry];
  while (work.length > 0) {
    const pc = work.pop()!;
    if (flows.has(pc)) continue;
    const flow = flowAt(program, pc);
    flows.set(pc, flow);
    const successors: number[] = [];
    if (flow.fallsThrough) successors.push(pc + flow.slots);
    if (flow.target !== undefined) successors.push(flow.target);
    for (const successor of successors) {
      if (!inProgram(program, successor)) continue;
      if (flow.endsBlock || stepwise) leaders.add(successor);
      work.push(successor);
    }
  }
  const ordered = [...leaders].sort((a, b) => a - b);
  const blockAt = new Map(ordered.map((pc, id) => [pc, id]));
  const blocks = ordered.map((start, id): Block => {
    const pcs: number[] = [];
    const blockFlows: Flow[] = [];
    let pc = start;
    for (;;) {
      const flow = flows.get(pc)!;
      pcs.push(pc);
      blockFlows.push(flow);
      const following = pc + flow.slots;
      if (flow.endsBlock || !flow.fallsThrough || stepwise || !inProgram(program, following) || blockAt.has(following)) break;
      pc = following;
    }
    return { id, pcs, flows: blockFlows };
  });
  return { blocks, blockAt };
}
