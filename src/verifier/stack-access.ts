// Reads and writes of a frame's stack, byte by byte as the kernel tracks them
// (kernel/bpf/verifier.c check_stack_write_fixed_off, check_stack_read_fixed_off,
// check_stack_write_var_off, check_stack_read_var_off): a scalar (or an
// immediate) written at an 8-byte aligned offset is remembered as a spill of
// `size` bytes, a pointer must be spilled whole, other writes make the bytes
// "misc" (or "zero" when zero is written); a fill of a spilled register brings
// it back.
import * as S from "./scalar.ts";
import { NOT_INIT, constReg, isKnownZero, scalarReg, unknownScalar } from "./reg-state.ts";
import type { RegState } from "./reg-state.ts";
import { reject } from "./reject.ts";
import { SLOT_BYTES, StackByte, byteIndex, ownStack } from "./state.ts";
import type { Frame } from "./state.ts";
import type { ResolvedOptions } from "./env.ts";

const slotOf = (off: number): number => Math.floor(byteIndex(off) / SLOT_BYTES);

function touch(f: Frame, lowestOff: number): void {
  // allocated_stack grows in whole 8-byte slots.
  const depth = Math.ceil(-lowestOff / SLOT_BYTES) * SLOT_BYTES;
  if (depth > f.stackDepthBytes) f.stackDepthBytes = depth;
}

// A spill of `size` bytes occupies the top bytes of its slot; the rest of the slot becomes misc (zero and invalid stay).
function saveSpill(f: Frame, slot: number, value: RegState, size: number): void {
  ownStack(f);
  f.spills[slot] = value;
  const base = slot * SLOT_BYTES;
  for (let j = SLOT_BYTES - 1; j >= 0; j--) {
    const i = base + j;
    if (j >= SLOT_BYTES - size) f.stack[i] = StackByte.SPILL;
    else if (f.stack[i] === StackByte.SPILL || f.stack[i] === StackByte.MISC) f.stack[i] = StackByte.MISC;
  }
}

// The value written: a register, or the immediate of a BPF_ST.
export type StackValue = { readonly kind: "reg"; readonly reg: RegState } | { readonly kind: "imm"; readonly imm: number } | { readonly kind: "unknown" };

export function writeStackFixed(f: Frame, off: number, size: number, value: StackValue, isCurrentFrame: boolean, opts: ResolvedOptions): void {
  const slot = slotOf(off);
  touch(f, off);
  const aligned = off % SLOT_BYTES === 0;
  if (value.kind === "reg" && value.reg.kind === "scalar" && aligned && opts.bpfCapable) {
    let spilled = value.reg;
    // A spill narrower than the value breaks the link with the register's copies.
    if (spilled.id !== 0 && bitLength(spilled.value.umax) > size * 8) spilled = scalarReg(spilled.value, 0);
    saveSpill(f, slot, spilled, size);
    return;
  }
  if (value.kind === "imm" && aligned && opts.bpfCapable) {
    saveSpill(f, slot, constReg(BigInt(value.imm)), size);
    return;
  }
  if (value.kind === "reg" && value.reg.kind === "ptr") {
    if (size !== SLOT_BYTES) reject("EACCES", "invalid size of register spill");
    if (!isCurrentFrame && value.reg.type === "stack") reject("EINVAL", "cannot spill pointers to stack into stack frame of the caller");
    saveSpill(f, slot, value.reg, size);
    return;
  }
  const zero = (value.kind === "reg" && isKnownZero(value.reg)) || (value.kind === "imm" && value.imm === 0);
  const base = slot * SLOT_BYTES;
  ownStack(f);
  // A plain write into a slot holding a spill turns the spill's other bytes into misc.
  if (f.stack[base + SLOT_BYTES - 1] === StackByte.SPILL) {
    for (let j = 0; j < SLOT_BYTES; j++) if (f.stack[base + j] === StackByte.SPILL) f.stack[base + j] = StackByte.MISC;
  }
  f.spills[slot] = undefined;
  for (let i = 0; i < size; i++) f.stack[byteIndex(off) - i] = zero ? StackByte.ZERO : StackByte.MISC;
}

export function readStackFixed(f: Frame, off: number, size: number, wantValue: boolean, opts: ResolvedOptions, nextId?: () => number): RegState {
  const slot = slotOf(off);
  const base = slot * SLOT_BYTES;
  const top = base + SLOT_BYTES - 1;
  if (f.stack[top] === StackByte.SPILL) {
    const spilled = f.spills[slot] ?? NOT_INIT;
    let spillSize = 1;
    for (let j = SLOT_BYTES - 1; j > 0 && f.stack[base + j - 1] === StackByte.SPILL; j--) spillSize++;
    if (size !== SLOT_BYTES || spillSize !== SLOT_BYTES) {
      if (spilled.kind !== "scalar") return reject("EACCES", "invalid size of register fill");
      if (!wantValue) return unknownScalar;
      // Little-endian: a narrow fill at the slot's start reads the spill's low bytes.
      if (size <= spillSize && off % SLOT_BYTES === 0) {
        const width = bitLength(spilled.value.umax);
        // A 32-bit fill of a 32-bit spill links the register with the slot (the kernel gives the slot an id first).
        if (opts.bpfCapable && size === 4 && spillSize === 4 && width <= 32 && nextId !== undefined && (spilled.id === 0 || spilled.delta !== undefined) && !S.isConstant(spilled.value)) {
          const linked = scalarReg(spilled.value, nextId());
          ownStack(f);
          f.spills[slot] = linked;
          return linked;
        }
        return width > size * 8 ? scalarReg(spilled.value, 0) : spilled;
      }
      let spillCount = 0;
      let zeroCount = 0;
      for (let i = 0; i < size; i++) {
        const b = f.stack[byteIndex(off) - i];
        if (b === StackByte.SPILL) spillCount++;
        else if (b === StackByte.ZERO) zeroCount++;
        else if (b === StackByte.INVALID && !opts.allowPtrLeaks) reject("EACCES", `invalid read from stack off ${off}+${i} size ${size}`);
      }
      if (spillCount === size && S.constValue(spilled.value) === 0n) return constReg(0n);
      if (zeroCount === size) return constReg(0n);
      return unknownScalar;
    }
    if (!wantValue && spilled.kind === "ptr" && !opts.allowPtrLeaks) reject("EACCES", `leaking pointer from stack off ${off}`);
    return spilled;
  }
  let zeros = 0;
  for (let i = 0; i < size; i++) {
    const b = f.stack[byteIndex(off) - i];
    if (b === StackByte.ZERO) zeros++;
    else if (b === StackByte.INVALID && !opts.allowPtrLeaks) reject("EACCES", `invalid read from stack off ${off}+${i} size ${size}`);
  }
  return zeros === size ? constReg(0n) : unknownScalar;
}

// A write at an offset known only as a range [minOff, maxOff): every byte it may touch becomes misc (zero stays zero for a zero write).
export function writeStackVar(f: Frame, minOff: number, maxOff: number, writingZero: boolean, opts: ResolvedOptions): void {
  touch(f, minOff);
  ownStack(f);
  for (let off = minOff; off < maxOff; off++) {
    const i = byteIndex(off);
    const slot = Math.floor(i / SLOT_BYTES);
    const b = f.stack[i];
    if (!opts.allowPtrLeaks && b !== StackByte.MISC && b !== StackByte.ZERO) {
      reject("EINVAL", `spilled ptr in range of var-offset stack write; insn ${0}, ptr off: ${off}`);
    }
    if (f.stack[slot * SLOT_BYTES + SLOT_BYTES - 1] === StackByte.SPILL) {
      for (let j = 0; j < SLOT_BYTES; j++) if (f.stack[slot * SLOT_BYTES + j] === StackByte.SPILL) f.stack[slot * SLOT_BYTES + j] = StackByte.MISC;
      f.spills[slot] = undefined;
    }
    f.stack[i] = writingZero && f.stack[i] === StackByte.ZERO ? StackByte.ZERO : StackByte.MISC;
  }
}

export function readStackVar(f: Frame, minOff: number, maxOff: number, opts: ResolvedOptions): RegState {
  let allZero = true;
  for (let off = minOff; off < maxOff; off++) {
    const i = byteIndex(off);
    const b = f.stack[i];
    if (b !== StackByte.ZERO) allZero = false;
    if (b === StackByte.INVALID && !opts.allowPtrLeaks) reject("EACCES", `invalid variable-offset read from stack`);
    if (b === StackByte.SPILL) {
      const slot = Math.floor(i / SLOT_BYTES);
      const spilled = f.spills[slot];
      if (spilled?.kind === "ptr" && !opts.allowPtrLeaks) reject("EACCES", `leaking pointer from stack off ${off}`);
      if (!(spilled?.kind === "scalar" && S.constValue(spilled.value) === 0n)) allZero = false;
    }
  }
  return allZero ? constReg(0n) : unknownScalar;
}

const bitLength = (x: bigint): number => x.toString(2).length - (x === 0n ? 1 : 0);
