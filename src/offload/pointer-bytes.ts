// Stack accesses that would see or tear the bytes of a spilled pointer. A
// pointer kept in an aligned 8-byte slot is a pointer to both machines: the
// NIC holds its model address there and a host exit translates the slot
// (host-resume.ts). Any other access to those bytes (a narrower or unaligned
// load, a store over part of the slot, a helper reading them as a key, a
// pointer stored in fewer than 8 bytes) sees the numeric value, which differs
// between host and NIC, so it runs on the host, where the slot still holds
// the host's address when the packet arrives.
import { HelperId } from "../helpers/prototypes.ts";
import type { MapDef } from "../maps/types.ts";
import { mayBePointer, type AbsVal } from "./abstract-value.ts";
import { STACK_FRAME_BYTES, helperStackWrites, slotFrame, slotOffset, stackOffset, type AbsState } from "./analysis.ts";
import { byteRange, stackEffects } from "./liveness.ts";
import type { IrInsn } from "./ir.ts";

const ALL_BYTES = byteRange(-STACK_FRAME_BYTES, STACK_FRAME_BYTES);

// The bytes of `frame` that hold a pointer, or a value that is one on some path.
function pointerBytes(state: AbsState, frame: number): bigint {
  let mask = 0n;
  for (const [key, v] of state.slots) if (slotFrame(key) === frame && mayBePointer(v)) mask |= byteRange(slotOffset(key), 8);
  return mask;
}

// The bytes an access of `bytes` at base + off may touch, the whole frame when its offset is not bounded.
function touched(base: AbsVal & { k: "stack" }, off: number, bytes: number): bigint {
  const at = stackOffset(base, off);
  if (at !== undefined) return byteRange(at, bytes);
  const lo = base.off.smin + BigInt(off);
  const hi = base.off.smax + BigInt(off) + BigInt(bytes);
  if (lo < -BigInt(STACK_FRAME_BYTES) || hi > 0n) return ALL_BYTES;
  return byteRange(Number(lo), Number(hi - lo));
}

// The first spilled pointer's offset among `mask`'s bytes.
function firstSlot(mask: bigint): number {
  let i = 0;
  while (((mask >> BigInt(i)) & 1n) === 0n) i++;
  return Math.floor(i / 8) * 8 - STACK_FRAME_BYTES;
}

const wholeSlot = (at: number | undefined, bytes: number): boolean => at !== undefined && bytes === 8 && at % 8 === 0;

const place = (at: number | undefined): string => (at === undefined ? "a variable stack offset" : `stack offset ${at}`);

// The whole 8-byte slots `mask` has bytes in.
function slotsOf(mask: bigint): bigint {
  let out = 0n;
  for (let off = -STACK_FRAME_BYTES; off < 0; off += 8) {
    const slot = byteRange(off, 8);
    if (mask & slot) out |= slot;
  }
  return out;
}

// Why this instruction must run on the host because of a spilled pointer's bytes, or undefined.
// `liveAfter(frame)`: the frame's stack bytes still read after the instruction; a store that tears a
// pointer whose remaining bytes nothing reads (clang reusing a dead spill slot) is harmless.
export function pointerBytesProblem(
  insn: IrInsn,
  state: AbsState,
  maps: readonly MapDef[],
  frames: number,
  reg: (v: number) => number,
  liveAfter: (frame: number) => bigint,
): string | undefined {
  if (insn.kind === "op") {
    const f = insn.form;
    if (f.kind !== "load" && f.kind !== "storeImm" && f.kind !== "storeReg") return undefined;
    const base = state.regs[f.kind === "load" ? f.src : f.dst];
    if (base.k !== "stack") return undefined;
    const at = stackOffset(base, f.off);
    const whole = wholeSlot(at, f.sizeBytes);
    const reach = touched(base, f.off, f.sizeBytes);
    const live = liveAfter(base.frame);
    if (f.kind === "storeReg" && !whole && mayBePointer(state.regs[f.src]) && (reach & live) !== 0n) {
      return `it stores a pointer (r${reg(f.src)}) as ${f.sizeBytes} bytes at ${place(at)}, not as a whole 8-byte slot, so the bytes left there differ on the NIC`;
    }
    const hit = reach & pointerBytes(state, base.frame);
    if (hit === 0n || whole) return undefined;
    const certain = at === undefined ? 0n : byteRange(at, f.sizeBytes);
    if (f.kind !== "load" && (slotsOf(hit) & ~certain & live) === 0n) return undefined;
    const what = f.kind === "load" ? `reads ${f.sizeBytes} bytes at ${place(at)}` : `writes ${f.sizeBytes} bytes at ${place(at)}`;
    return `it ${what}, part of a pointer spilled at stack offset ${firstSlot(hit)}, whose bytes differ on the NIC`;
  }
  if (insn.kind !== "helper" || insn.helperId === HelperId.TAIL_CALL) return undefined;
  // A helper reading stack memory (a key, a buffer) would read the pointer's value.
  for (const read of stackEffects(insn, state, maps, frames).reads) {
    const hit = (read.mask ?? ALL_BYTES) & pointerBytes(state, read.frame);
    if (hit !== 0n) return `it passes stack memory holding a pointer (spilled at stack offset ${firstSlot(hit)}) to the helper, whose bytes differ on the NIC`;
  }
  // A helper writing part of a pointer's slot would leave the NIC's bytes in the rest of it.
  for (const w of helperStackWrites(insn, state.regs)) {
    const written = w.at === undefined ? ALL_BYTES : byteRange(w.at, w.bytes);
    const certain = w.at === undefined ? 0n : written;
    const torn = slotsOf(written & pointerBytes(state, w.frame)) & ~certain & liveAfter(w.frame);
    if (torn !== 0n) return `the helper writes part of a pointer spilled at stack offset ${firstSlot(torn)}, whose other bytes differ on the NIC`;
  }
  return undefined;
}
