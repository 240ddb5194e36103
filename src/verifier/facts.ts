// What later stages (the offload compiler) learn per instruction: the state
// at its entry joined over every visit the exploration made (the register
// types and ranges, the stack slots), the registers live there, and whether
// any path reached it.
import * as S from "./scalar.ts";
import type { Scalar } from "./scalar.ts";
import { ptrTypeName } from "./reg-state.ts";
import type { RegState } from "./reg-state.ts";
import { SLOT_BYTES, STACK_SLOTS, stackByteChar } from "./state.ts";
import type { Frame } from "./state.ts";

export interface ScalarRange {
  readonly umin: bigint;
  readonly umax: bigint;
  readonly smin: bigint;
  readonly smax: bigint;
  // Known bits: `value` where `mask` is 0.
  readonly bitsValue: bigint;
  readonly bitsMask: bigint;
}

export type RegFact =
  | { readonly kind: "not_init" }
  | { readonly kind: "scalar"; readonly range: ScalarRange }
  | {
      readonly kind: "ptr";
      // reg_type_str: "pkt", "map_value_or_null", "fp", ...
      readonly type: string;
      // Offset from the pointer's base, fixed plus variable part.
      readonly offset: ScalarRange;
      // Packet pointers: the fewest bytes proven before data_end on any visit.
      readonly packetRange?: number;
      readonly mapName?: string;
      readonly frameNo?: number;
    }
  // Different kinds on different visits.
  | { readonly kind: "mixed"; readonly types: readonly string[] };

export interface StackSlotFact {
  // The slot's address, fp-8, fp-16, ...
  readonly offset: number;
  // One character per byte as the kernel prints them ('?' invalid, 'r' spilled, 'm' misc, '0' zero), '*' where visits differ.
  readonly bytes: string;
  readonly spilled?: RegFact;
}

const rangeOf = (s: Scalar): ScalarRange => ({ umin: s.umin, umax: s.umax, smin: s.smin, smax: s.smax, bitsValue: s.bits.value, bitsMask: s.bits.mask });

// The accumulated join of the states seen at one instruction.
export class InsnFactAccumulator {
  private regs: (AccReg | undefined)[] = [];
  private slotBytes: string[] = [];
  private spills: (AccReg | undefined)[] = [];
  private visits = 0;

  add(frame: Frame): void {
    frame.regs.forEach((r, i) => (this.regs[i] = joinReg(this.regs[i], r, this.visits === 0)));
    // Slots below the deepest byte ever touched are all invalid: only the used part is joined.
    const usedSlots = Math.max(this.slotBytes.length, Math.ceil(frame.stackDepthBytes / SLOT_BYTES));
    for (let slot = 0; slot < Math.min(usedSlots, STACK_SLOTS); slot++) {
      const bytes = Array.from(frame.stack.subarray(slot * SLOT_BYTES, slot * SLOT_BYTES + SLOT_BYTES), (b) => stackByteChar[b]).join("");
      const prev = this.slotBytes[slot];
      this.slotBytes[slot] = this.visits === 0 ? bytes : mergeBytes(prev ?? "????????", bytes);
      const spilled = frame.spills[slot];
      this.spills[slot] = spilled === undefined && this.visits === 0 ? undefined : joinReg(this.spills[slot], spilled ?? { kind: "not_init" }, this.visits === 0);
    }
    this.visits++;
  }

  regFacts(): RegFact[] {
    return this.regs.map((r) => (r === undefined ? { kind: "not_init" } : factOf(r)));
  }

  stackFacts(): StackSlotFact[] {
    const out: StackSlotFact[] = [];
    this.slotBytes.forEach((bytes, slot) => {
      if (bytes === "????????" || bytes === undefined) return;
      const spilled = this.spills[slot];
      out.push({ offset: -(slot + 1) * SLOT_BYTES, bytes, ...(spilled !== undefined && bytes.includes("r") ? { spilled: factOf(spilled) } : {}) });
    });
    return out;
  }
}

const mergeBytes = (a: string, b: string): string => Array.from(a, (ch, i) => (ch === b[i] ? ch : "*")).join("");

type AccReg =
  | { kind: "not_init" }
  | { kind: "scalar"; value: Scalar }
  | { kind: "ptr"; type: string; offset: Scalar; packetRange?: number; mapName?: string; frameNo?: number }
  | { kind: "mixed"; types: Set<string> };

function accOf(r: RegState): AccReg {
  switch (r.kind) {
    case "not_init":
      return { kind: "not_init" };
    case "scalar":
      return { kind: "scalar", value: r.value };
    case "ptr":
      return {
        kind: "ptr",
        type: ptrTypeName(r.type, r.maybeNull),
        offset: S.alu("add", 64, r.varOff, S.constant(BigInt(r.off))),
        ...(r.type === "pkt" || r.type === "pkt_meta" ? { packetRange: r.range } : {}),
        ...(r.map ? { mapName: r.map.name } : {}),
        ...(r.frameNo !== undefined ? { frameNo: r.frameNo } : {}),
      };
  }
}

const typeOf = (a: AccReg): string[] => (a.kind === "mixed" ? [...a.types] : a.kind === "ptr" ? [a.type] : [a.kind]);

function joinReg(acc: AccReg | undefined, r: RegState, first: boolean): AccReg {
  const next = accOf(r);
  if (first || acc === undefined) return next;
  if (acc.kind === "scalar" && next.kind === "scalar") return { kind: "scalar", value: S.join(acc.value, next.value) };
  if (acc.kind === "not_init" && next.kind === "not_init") return acc;
  if (acc.kind === "ptr" && next.kind === "ptr" && acc.type === next.type && acc.mapName === next.mapName && acc.frameNo === next.frameNo) {
    const packetRange = acc.packetRange === undefined ? undefined : Math.min(acc.packetRange, next.packetRange ?? 0);
    return { ...acc, offset: S.join(acc.offset, next.offset), ...(packetRange !== undefined ? { packetRange } : {}) };
  }
  return { kind: "mixed", types: new Set([...typeOf(acc), ...typeOf(next)]) };
}

function factOf(a: AccReg): RegFact {
  switch (a.kind) {
    case "not_init":
      return a;
    case "scalar":
      return { kind: "scalar", range: rangeOf(a.value) };
    case "ptr":
      return {
        kind: "ptr",
        type: a.type,
        offset: rangeOf(a.offset),
        ...(a.packetRange !== undefined ? { packetRange: a.packetRange } : {}),
        ...(a.mapName !== undefined ? { mapName: a.mapName } : {}),
        ...(a.frameNo !== undefined ? { frameNo: a.frameNo } : {}),
      };
    case "mixed":
      return { kind: "mixed", types: [...a.types].sort() };
  }
}
