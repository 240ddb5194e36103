// Stack bytes a program may read before it wrote them. The interpreter gives
// every frame a zeroed stack; the NIC's local memory holds whatever the
// previous packet left (the model poisons it). A forward analysis of the bytes
// each frame has certainly written (intersected where paths meet) finds the
// reads that may see unwritten bytes; only those bytes are zeroed when the
// frame starts, so a program that writes before it reads (every verified one
// does, unless it relies on privileged uninitialised reads) pays nothing.
import type { MapDef } from "../maps/types.ts";
import { STACK_FRAME_BYTES, type Analysis } from "./analysis.ts";
import { successors, type IrProgram } from "./ir.ts";
import { stackEffects } from "./liveness.ts";

const ALL = (1n << BigInt(STACK_FRAME_BYTES)) - 1n;

// Per frame: the bytes (bit i: offset i - 512) that must be zero when the frame starts.
export function bytesToZero(program: IrProgram, analysis: Analysis, maps: readonly MapDef[]): bigint[] {
  const frames = program.frames.length;
  const n = program.blocks.length;
  const need = new Array<bigint>(frames).fill(0n);
  // written[block][frame]: certainly written on entry; undefined: not reached yet.
  const written: (bigint[] | undefined)[] = new Array(n).fill(undefined);
  written[0] = new Array(frames).fill(0n);
  const work = [0];
  const queued = new Uint8Array(n);
  queued[0] = 1;
  const visit = (id: number, record: boolean): bigint[] => {
    const w = [...written[id]!];
    const block = program.blocks[id];
    const states = analysis.before[id];
    block.insns.forEach((insn, i) => {
      if (insn.kind === "call") {
        w[insn.calleeFrame] = 0n;
        return;
      }
      if (!states) return;
      const { reads, writes } = stackEffects(insn, states[i], maps, frames);
      if (record) for (const r of reads) need[r.frame] |= (r.mask ?? ALL) & ~w[r.frame];
      for (const x of writes) if (x.mask !== undefined && insn.kind === "op") w[x.frame] |= x.mask;
    });
    return w;
  };
  while (work.length) {
    const id = work.pop()!;
    queued[id] = 0;
    const out = visit(id, false);
    for (const s of successors(program.blocks[id].term)) {
      if (analysis.deadEdges.has(`${id}>${s}`)) continue;
      const old = written[s];
      const next = old ? old.map((m, f) => m & out[f]) : out;
      if (old && next.every((m, f) => m === old[f])) continue;
      written[s] = next;
      if (!queued[s]) {
        queued[s] = 1;
        work.push(s);
      }
    }
  }
  for (let id = 0; id < n; id++) if (written[id] && analysis.before[id]) visit(id, true);
  return need;
}
