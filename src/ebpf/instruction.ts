// One 8-byte eBPF instruction slot, as the kernel stores it (little-endian
// encoding: opcode, dst:4|src:4, off:s16, imm:s32). A program is an array of
// slots indexed by pc, exactly as jump offsets count them: a 64-bit immediate
// load (lddw) occupies two slots, the second with opcode 0 whose imm holds the
// upper 32 bits. Keeping the kernel's slot layout means a pc printed by us is
// the pc the kernel verifier and llvm-objdump print.

export interface Insn {
  readonly opcode: number; // 0..255
  readonly dst: number; // 0..15 as encoded; valid programs use 0..10
  readonly src: number; // 0..15 as encoded; pseudo kinds use it too
  readonly off: number; // signed 16-bit
  readonly imm: number; // signed 32-bit
}

export type Program = readonly Insn[];

export const insn = (opcode: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({
  opcode: opcode & 0xff,
  dst,
  src,
  off: (off << 16) >> 16,
  imm: imm | 0,
});

// Reads the raw slot at byte offset `at` without validating it (see decode.ts for validation).
export function readSlot(bytes: Uint8Array, at: number, littleEndian = true): Insn {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const regs = bytes[at + 1];
  return {
    opcode: bytes[at],
    // In big-endian objects the register nibbles are swapped (dst is the high nibble).
    dst: littleEndian ? regs & 0x0f : regs >> 4,
    src: littleEndian ? regs >> 4 : regs & 0x0f,
    off: view.getInt16(at + 2, littleEndian),
    imm: view.getInt32(at + 4, littleEndian),
  };
}

export function writeSlot(out: Uint8Array, at: number, slot: Insn, littleEndian = true): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out[at] = slot.opcode;
  out[at + 1] = littleEndian ? (slot.dst & 0x0f) | ((slot.src & 0x0f) << 4) : ((slot.dst & 0x0f) << 4) | (slot.src & 0x0f);
  view.setInt16(at + 2, slot.off, littleEndian);
  view.setInt32(at + 4, slot.imm, littleEndian);
}

// The 64-bit constant of the lddw whose first slot is at pc.
export function lddwValue(program: Program, pc: number): bigint {
  const lo = BigInt(program[pc].imm >>> 0);
  const hi = BigInt(program[pc + 1].imm >>> 0);
  return (hi << 32n) | lo;
}

// Two lowercase hex digits, as llvm-objdump prints instruction bytes.
export const hexByte = (n: number): string => (n & 0xff).toString(16).padStart(2, "0");

// The 64-bit constant an lddw loads from its two 32-bit halves (next_imm is the upper half).
export const joinImm64 = (imm: number, nextImm: number): bigint => (BigInt(nextImm >>> 0) << 32n) | BigInt(imm >>> 0);

// The two signed 32-bit halves (imm, next_imm) of a 64-bit constant; the constant is taken modulo 2^64.
export function splitImm64(value: bigint): { imm: number; nextImm: number } {
  const wrapped = BigInt.asUintN(64, value);
  return { imm: Number(BigInt.asIntN(32, wrapped)), nextImm: Number(BigInt.asIntN(32, wrapped >> 32n)) };
}
