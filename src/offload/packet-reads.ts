// Packet reads merged into one memory command, as the nfp JIT's packet cache
// does: loads in one block through the same packet pointer, with nothing in
// between that writes memory or calls out, whose bytes form one contiguous
// span of at most 16 bytes, are read by one mem_rd (plus one 1- or 2-byte tail
// read) where the first of them was, and each load takes its bytes from the
// transfer registers. The span is exactly the bytes the loads read, so it
// faults only where one of them would, and nothing visible happens between
// the first load and the fault.
import type { LoadInstruction } from "../ebpf/index.ts";
import type { AbsState } from "./analysis.ts";
import { defsOf } from "./ir-uses.ts";
import type { IrInsn, VReg } from "./ir.ts";

export interface MergedRead {
  // Insn indices of the loads, in order; the first one issues the reads.
  readonly members: readonly number[];
  // Span start (relative to the base register) and length in bytes.
  readonly start: number;
  readonly bytes: number;
  // First transfer register of the span (x4, x8 or x12: x0..x3 stay for single accesses).
  readonly xbase: number;
}

// Transfer-register windows merged reads may hold across other instructions.
const WINDOWS = [4, 8, 12];

const MAX_SPAN_BYTES = 16;

interface Open {
  readonly base: VReg;
  readonly members: { index: number; off: number; size: number }[];
}

// Instructions a merged read may not move across: anything that writes memory other than the stack, or calls.
function barrier(insn: IrInsn, state: AbsState): boolean {
  switch (insn.kind) {
    case "helper":
    case "opaque":
    case "call":
      return true;
    case "op": {
      const f = insn.form;
      if (f.kind === "atomic") return true;
      if (f.kind === "storeImm" || f.kind === "storeReg") return state.regs[f.dst].k !== "stack";
      return false;
    }
  }
}

function spans(open: Open, out: MergedRead[]): void {
  const sorted = [...open.members].sort((a, b) => a.off - b.off || a.index - b.index);
  let group: typeof sorted = [];
  let lo = 0;
  let hi = 0;
  const flush = (): void => {
    const bytes = hi - lo;
    if (group.length >= 2 && bytes <= MAX_SPAN_BYTES && bytes % 4 !== 3) {
      out.push({ members: group.map((m) => m.index).sort((a, b) => a - b), start: lo, bytes, xbase: -1 });
    }
  };
  for (const m of sorted) {
    if (group.length && m.off <= hi && Math.max(hi, m.off + m.size) - lo <= MAX_SPAN_BYTES) {
      group.push(m);
      hi = Math.max(hi, m.off + m.size);
      continue;
    }
    flush();
    group = [m];
    lo = m.off;
    hi = m.off + m.size;
  }
  flush();
}

// The merged reads of a block's first `limit` instructions (a host exit ends the NIC's part there).
export function mergedReads(insns: readonly IrInsn[], states: readonly AbsState[], limit: number): MergedRead[] {
  const out: MergedRead[] = [];
  const open = new Map<VReg, Open>();
  const close = (base: VReg): void => {
    const g = open.get(base);
    if (g) spans(g, out);
    open.delete(base);
  };
  for (let i = 0; i < limit; i++) {
    const insn = insns[i];
    const state = states[i];
    if (barrier(insn, state)) {
      for (const base of [...open.keys()]) close(base);
      continue;
    }
    if (insn.kind === "op" && insn.form.kind === "load" && state.regs[insn.form.src].k === "packet") {
      const f: LoadInstruction = insn.form;
      const g = open.get(f.src) ?? { base: f.src, members: [] };
      open.set(f.src, g);
      g.members.push({ index: i, off: f.off, size: f.sizeBytes });
    }
    for (const d of defsOf(insn)) if (open.has(d)) close(d);
  }
  for (const base of [...open.keys()]) close(base);
  // Give each merged read a transfer-register window for its lifetime; reads that find none stay single.
  const placed: MergedRead[] = [];
  const busyUntil = WINDOWS.map(() => -1);
  for (const m of out.sort((a, b) => a.members[0] - b.members[0])) {
    const w = busyUntil.findIndex((until) => until < m.members[0]);
    if (w < 0) continue;
    busyUntil[w] = m.members[m.members.length - 1];
    placed.push({ ...m, xbase: WINDOWS[w] });
  }
  return placed;
}
