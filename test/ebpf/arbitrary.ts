// fast-check generators of raw eBPF slots, written from RFC 9669's tables
// (numbers spelled out here on purpose, not read from src/ebpf/opcode.ts, so
// the tests do not inherit a mistake in our tables).
import fc from "fast-check";
import type { Insn } from "../../src/ebpf/index.ts";

const reg = fc.integer({ min: 0, max: 10 });
const s16 = fc.integer({ min: -0x8000, max: 0x7fff });
const s32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const slot = (opcode: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ opcode, dst, src, off, imm });

const ALU = 0x04;
const ALU64 = 0x07;
// RFC 9669 §4.1 operation codes with two operands (NEG 0x80 and END 0xd0 apart).
const BINARY_CODES = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0];
const DIV = 0x30;
const MOD = 0x90;
// §4.3 conditional jump codes.
const JCOND_CODES = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
const SIZES = [0x00, 0x08, 0x10, 0x18]; // W H B DW
const ATOMIC_IMMS = [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1];

const aluBinary = fc
  .tuple(fc.constantFrom(ALU, ALU64), fc.constantFrom(...BINARY_CODES), fc.boolean(), fc.boolean(), reg, reg, s32)
  .map(([cls, code, fromReg, signed, dst, src, imm]) => {
    const off = signed && (code === DIV || code === MOD) ? 1 : 0;
    return [fromReg ? slot(cls | 0x08 | code, dst, src, off, 0) : slot(cls | code, dst, 0, off, imm)];
  });
const neg = fc.tuple(fc.constantFrom(ALU, ALU64), reg).map(([cls, dst]) => [slot(cls | 0x80, dst)]);
const movsx = fc
  .tuple(fc.constantFrom(ALU, ALU64), reg, reg, fc.constantFrom(8, 16, 32))
  .map(([cls, dst, src, bits]) => [slot(cls | 0x08 | 0xb0, dst, src, cls === ALU && bits === 32 ? 16 : bits, 0)]);
const endian = fc
  .tuple(fc.constantFrom(0xd4, 0xdc, 0xd7), reg, fc.constantFrom(16, 32, 64))
  .map(([opcode, dst, bits]) => [slot(opcode, dst, 0, 0, bits)]);
const ja = fc.oneof(s16.map((off) => [slot(0x05, 0, 0, off, 0)]), s32.map((imm) => [slot(0x06, 0, 0, 0, imm)]));
const jcond = fc
  .tuple(fc.constantFrom(0x05, 0x06), fc.constantFrom(...JCOND_CODES), fc.boolean(), reg, reg, s16, s32)
  .map(([cls, code, fromReg, dst, src, off, imm]) => [fromReg ? slot(cls | 0x08 | code, dst, src, off, 0) : slot(cls | code, dst, 0, off, imm)]);
const call = fc.oneof(
  s32.map((imm) => [slot(0x85, 0, 0, 0, imm)]),
  s32.map((imm) => [slot(0x85, 0, 1, 0, imm)]),
  fc.tuple(s32, s16).map(([imm, off]) => [slot(0x85, 0, 2, off, imm)]),
  reg.map((dst) => [slot(0x8d, dst)]),
  fc.constant(null).map((): Insn[] => [slot(0x95)]),
);
const lddw = fc
  .tuple(reg, fc.integer({ min: 0, max: 6 }), s32, s32)
  .map(([dst, kind, imm, next]) => [slot(0x18, dst, kind, 0, imm), slot(0, 0, 0, 0, [1, 4, 5].includes(kind) ? 0 : next)]);
const legacy = fc.oneof(
  fc.tuple(fc.constantFrom(0x20, 0x28, 0x30), s32).map(([opcode, imm]) => [slot(opcode, 0, 0, 0, imm)]),
  fc.tuple(fc.constantFrom(0x40, 0x48, 0x50), reg, s32).map(([opcode, src, imm]) => [slot(opcode, 0, src, 0, imm)]),
);
const load = fc
  .tuple(fc.constantFrom(...SIZES.map((s) => 0x61 | s), 0x81, 0x89, 0x91), reg, reg, s16)
  .map(([opcode, dst, src, off]) => [slot(opcode, dst, src, off, 0)]);
const storeImm = fc.tuple(fc.constantFrom(...SIZES.map((s) => 0x62 | s)), reg, s16, s32).map(([opcode, dst, off, imm]) => [slot(opcode, dst, 0, off, imm)]);
const storeReg = fc.tuple(fc.constantFrom(...SIZES.map((s) => 0x63 | s)), reg, reg, s16).map(([opcode, dst, src, off]) => [slot(opcode, dst, src, off, 0)]);
const atomic = fc
  .tuple(fc.constantFrom(0xc3, 0xdb), reg, reg, s16, fc.constantFrom(...ATOMIC_IMMS))
  .map(([opcode, dst, src, off, imm]) => [slot(opcode, dst, src, off, imm)]);

// One valid instruction (1 slot, or 2 for lddw), every class and form equally likely.
export const validInstruction: fc.Arbitrary<Insn[]> = fc.oneof(
  aluBinary, neg, movsx, endian, ja, jcond, call, lddw, legacy, load, storeImm, storeReg, atomic,
);

// A program of valid instructions, as instruction groups (so tests know where each starts).
export const validGroups = fc.array(validInstruction, { minLength: 1, maxLength: 24 });

export const hexSlot = (s: Insn): string => {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  bytes[0] = s.opcode;
  bytes[1] = (s.dst & 0xf) | ((s.src & 0xf) << 4);
  view.setInt16(2, s.off, true);
  view.setInt32(4, s.imm, true);
  return Buffer.from(bytes).toString("hex").replace(/(..)(?!$)/g, "$1 ");
};

// Attaches a readable form to a generated program: fast-check prints it in counterexamples.
export function readable(slots: readonly Insn[], describeSlot: (program: Insn[], pc: number) => string = () => ""): Insn[] {
  const program = [...slots];
  Object.defineProperty(program, fc.toStringMethod, {
    value: () => "\n" + program.map((s, pc) => `  ${String(pc).padStart(3)}: ${hexSlot(s)}  ${describeSlot(program, pc)}`).join("\n"),
  });
  return program;
}

// Slots that RFC 9669 leaves undefined, each with why, for the rejection property.
export const invalidSlot: fc.Arbitrary<{ slots: Insn[]; why: string }> = fc.oneof<fc.Arbitrary<{ slots: Insn[]; why: string }>[]>(
  fc.constantFrom(0x00, 0x08, 0x38, 0x60, 0x21, 0x99, 0xa9, 0xc2, 0xe4, 0xe7, 0xf4, 0xe5, 0xf5, 0x86, 0x96, 0x0e, 0x0d, 0x9d, 0x8f, 0x8c, 0xdf, 0xe6)
    .map((opcode) => ({ slots: [slot(opcode)], why: `opcode 0x${opcode.toString(16)} is not defined` })),
  fc.tuple(fc.integer({ min: 11, max: 15 }), fc.boolean()).map(([r, asDst]) => ({
    slots: [asDst ? slot(0xbf, r, 1) : slot(0xbf, 1, r)],
    why: `register r${r} does not exist`,
  })),
  fc.integer({ min: 1, max: 0x7fffffff }).map((imm) => ({ slots: [slot(0x95, 0, 0, 0, imm)], why: "exit with imm set" })),
  fc.integer({ min: 1, max: 10 }).map((src) => ({ slots: [slot(0x07, 1, src, 0, 5)], why: "ALU K with src set" })),
  fc.integer({ min: 2, max: 0x7fff }).map((off) => ({ slots: [slot(0x3f, 1, 2, off)], why: "DIV with off other than 0/1" })),
  fc.integer({ min: 1, max: 0x7fffffff }).map((imm) => ({ slots: [slot(0x61, 1, 2, 0, imm)], why: "LDX with imm set" })),
  fc.integer({ min: 7, max: 15 }).map((src) => ({ slots: [slot(0x18, 1, src), slot(0)], why: `lddw pseudo kind ${src}` })),
  fc.constantFrom(1, 2, 3).map((field) => ({
    slots: [slot(0x18, 1), field === 1 ? slot(0x18) : field === 2 ? slot(0, 1) : slot(0, 0, 0, 4)],
    why: "lddw second slot not zeroed",
  })),
  fc.constantFrom(0, 8, 24, 128).map((imm) => ({ slots: [slot(0xdc, 1, 0, 0, imm)], why: `byte swap width ${imm}` })),
  fc.integer({ min: 0x02, max: 0xff }).filter((imm) => ![0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1].includes(imm)).map((imm) => ({
    slots: [slot(0xdb, 1, 2, 0, imm)],
    why: `atomic imm 0x${imm.toString(16)}`,
  })),
  fc.constantFrom(0xd3, 0xcb).map((opcode) => ({ slots: [slot(opcode, 1, 2)], why: "8/16-bit atomic" })),
  fc.constant(null).map(() => ({ slots: [slot(0xbc, 1, 2, 32)], why: "32-bit movsx from 32 bits" })),
  fc.constant(null).map(() => ({ slots: [slot(0x99, 1, 2)], why: "64-bit sign-extending load" })),
  fc.integer({ min: 3, max: 15 }).map((src) => ({ slots: [slot(0x85, 0, src, 0, 1)], why: `call kind ${src}` })),
);
