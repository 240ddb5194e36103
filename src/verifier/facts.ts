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

// A stack byte seen with different kinds on different visits.
const MIXED_BYTE = 0xff;

// The accumulated join of the states seen at one instruction (kept cheap: it runs on every visit).
export class InsnFactAccumulator {
  private readonly regs: (AccReg | undefined)[] = [];
  // The register and spilled register objects joined on the last visit.
  private readonly lastRegs: (RegState | undefined)[] = [];
  private readonly lastSpills: (RegState | undefined)[] = [];
  private bytes: Uint8Array | undefined;
  private readonly spills: (AccReg | undefined)[] = [];
  private visits = 0;

  add(frame: Frame): void {
    const first = this.visits === 0;
    const seen = this.lastRegs;
    for (let i = 0; i < frame.regs.length; i++) {
      const r = frame.regs[i];
      // Joined already on an earlier visit: the join is idempotent, joining it again changes nothing.
      if (r === seen[i] && !first) continue;
      this.regs[i] = joinReg(this.regs[i], r, first);
      seen[i] = r;
    }
    const used = Math.min(STACK_SLOTS * SLOT_BYTES, Math.ceil(frame.stackDepthBytes / SLOT_BYTES) * SLOT_BYTES);
    if (first) {
      this.bytes = frame.stack.slice();
    } else {
      markMixed(this.bytes!, frame.stack, Math.max(used, this.usedBytes));
    }
    this.usedBytes = Math.max(this.usedBytes, used);
    for (let slot = 0; slot < used / SLOT_BYTES; slot++) {
      const spilled = frame.spills[slot];
      const acc = this.spills[slot];
      if (spilled === undefined && acc === undefined) continue;
      const joined = spilled ?? NOT_INIT_ACC;
      if (acc !== undefined && joined === this.lastSpills[slot]) continue;
      this.spills[slot] = joinReg(acc, joined, acc === undefined);
      this.lastSpills[slot] = joined;
    }
    this.visits++;
  }

  private usedBytes = 0;
  // Registers (bit mask) and whether the stack may hold values of a path pruned before reaching here
  // (fact-taint.ts): their scalar facts are unknown, the stack's bytes '*'.
  private forgottenRegs = 0;
  private forgottenSpills = false;

  forget(regMask: number, spills: boolean): void {
    this.forgottenRegs |= regMask;
    this.forgottenSpills ||= spills;
  }

  regFacts(): RegFact[] {
    return this.regs.map((r, i) => (r === undefined ? { kind: "not_init" } : factOf(((this.forgottenRegs >> i) & 1) === 1 ? widened(r) : r)));
  }

  stackFacts(): StackSlotFact[] {
    const out: StackSlotFact[] = [];
    const bytes = this.bytes;
    if (bytes === undefined) return out;
    for (let slot = 0; slot < this.usedBytes / SLOT_BYTES; slot++) {
      const text = Array.from(bytes.subarray(slot * SLOT_BYTES, slot * SLOT_BYTES + SLOT_BYTES), (b) => (b === MIXED_BYTE || this.forgottenSpills ? "*" : stackByteChar[b])).join("");
      if (text === "????????") continue;
      const spilled = this.spills[slot];
      const shown = spilled !== undefined && this.forgottenSpills ? widened(spilled) : spilled;
      out.push({ offset: -(slot + 1) * SLOT_BYTES, bytes: text, ...(shown !== undefined && text.includes("r") ? { spilled: factOf(shown) } : {}) });
    }
    return out;
  }
}

// Every byte of `bytes[0, limit)` that differs from `stack`'s becomes MIXED_BYTE. Four bytes are compared at a
// time where the arrays allow it (both start their buffers at a multiple of 4, limit a multiple of 8).
function markMixed(bytes: Uint8Array, stack: Uint8Array, limit: number): void {
  if (bytes.byteOffset % 4 !== 0 || stack.byteOffset % 4 !== 0 || limit % 4 !== 0) {
    for (let i = 0; i < limit; i++) if (bytes[i] !== stack[i]) bytes[i] = MIXED_BYTE;
    return;
  }
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, limit / 4);
  const stackWords = new Uint32Array(stack.buffer, stack.byteOffset, limit / 4);
  for (let w = 0; w < words.length; w++) {
    if (words[w] === stackWords[w]) continue;
    for (let i = 4 * w; i < 4 * w + 4; i++) if (bytes[i] !== stack[i]) bytes[i] = MIXED_BYTE;
  }
}

type AccReg =
  | { kind: "not_init" }
  | { kind: "scalar"; value: Scalar }
  | { kind: "ptr"; type: string; offMin: number; offMax: number; varOff: Scalar; packetRange?: number; mapName?: string; frameNo?: number }
  | { kind: "mixed"; types: Set<string> };

const NOT_INIT_ACC: RegState = { kind: "not_init" };

// A scalar's fact with nothing known about its value.
const widened = (a: AccReg): AccReg => (a.kind === "scalar" ? { kind: "scalar", value: S.unknown } : a);

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
        offMin: r.off,
        offMax: r.off,
        varOff: r.varOff,
        ...(r.type === "pkt" || r.type === "pkt_meta" ? { packetRange: r.range } : {}),
        ...(r.map ? { mapName: r.map.name } : {}),
        ...(r.frameNo !== undefined ? { frameNo: r.frameNo } : {}),
      };
  }
}

const typeOf = (a: AccReg): string[] => (a.kind === "mixed" ? [...a.types] : a.kind === "ptr" ? [a.type] : [a.kind]);

function joinReg(acc: AccReg | undefined, r: RegState, first: boolean): AccReg {
  if (first || acc === undefined) return accOf(r);
  switch (acc.kind) {
    case "not_init":
      if (r.kind === "not_init") return acc;
      break;
    case "scalar":
      if (r.kind === "scalar") {
        // A value the join already covers leaves it as it is (S.join is the hull of ranges and the tnum union).
        // Nothing is left to learn once the join knows nothing (S.unknown covers every scalar).
        if (acc.value !== S.unknown && r.value !== acc.value && !S.covers(acc.value, r.value)) acc.value = S.join(acc.value, r.value);
        return acc;
      }
      break;
    case "ptr":
      if (r.kind === "ptr" && acc.type === ptrTypeName(r.type, r.maybeNull) && acc.mapName === r.map?.name && acc.frameNo === r.frameNo) {
        acc.offMin = Math.min(acc.offMin, r.off);
        acc.offMax = Math.max(acc.offMax, r.off);
        if (r.varOff !== acc.varOff && !S.covers(acc.varOff, r.varOff)) acc.varOff = S.join(acc.varOff, r.varOff);
        if (acc.packetRange !== undefined) acc.packetRange = Math.min(acc.packetRange, r.range);
        return acc;
      }
      break;
    case "mixed":
      acc.types.add(r.kind === "ptr" ? ptrTypeName(r.type, r.maybeNull) : r.kind);
      return acc;
  }
  return { kind: "mixed", types: new Set([...typeOf(acc), ...typeOf(accOf(r))]) };
}

function factOf(a: AccReg): RegFact {
  switch (a.kind) {
    case "not_init":
      return a;
    case "scalar":
      return { kind: "scalar", range: rangeOf(a.value) };
    case "ptr": {
      // Fixed offsets seen on different visits widen the variable part's range.
      const fixed = a.offMin === a.offMax ? S.constant(BigInt(a.offMin)) : S.unsignedRange(0n, 0n);
      const spread = a.offMin === a.offMax ? fixed : S.join(S.constant(BigInt(a.offMin)), S.constant(BigInt(a.offMax)));
      return {
        kind: "ptr",
        type: a.type,
        offset: rangeOf(S.alu("add", 64, a.varOff, spread)),
        ...(a.packetRange !== undefined ? { packetRange: a.packetRange } : {}),
        ...(a.mapName !== undefined ? { mapName: a.mapName } : {}),
        ...(a.frameNo !== undefined ? { frameNo: a.frameNo } : {}),
      };
    }
    case "mixed":
      return { kind: "mixed", types: [...a.types].sort() };
  }
}
