// Property tests: every ALU and JMP operation on random operands (edge values
// mixed in) agrees with a formula written from RFC 9669's prose, independently
// of src/interp/alu.ts; 32-bit results fit in 32 bits; and no program, however
// malformed, makes the interpreter throw.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { disassemble } from "../../src/ebpf/disasm.ts";
import { insn, type Insn } from "../../src/ebpf/instruction.ts";
import { AluOp, Class, JmpOp, Source } from "../../src/ebpf/opcode.ts";
import { run } from "../../src/interp/index.ts";
import { helperImplementations } from "../../src/helpers/implementations.ts";
import { createMap } from "../../src/maps/create.ts";
import { MapType, type BpfMap } from "../../src/maps/types.ts";
import { createXdpBuffer } from "../../src/xdp/buffer.ts";
import { R, alu64Imm, callHelper, exit, lddw, ldMap, mov64, movReg, program } from "./program.ts";

const TWO64 = 1n << 64n;
const TWO32 = 1n << 32n;
const mod = (x: bigint, m: bigint): bigint => ((x % m) + m) % m;
const signed = (x: bigint, bits: bigint): bigint => (x >= 1n << (bits - 1n) ? x - (1n << bits) : x);
// C's truncating division, written with absolute values.
const truncDiv = (a: bigint, b: bigint): bigint => {
  const q = (a < 0n ? -a : a) / (b < 0n ? -b : b);
  return (a < 0n) !== (b < 0n) ? -q : q;
};

const edges64 = [0n, 1n, TWO64 - 1n, 1n << 63n, (1n << 63n) - 1n, TWO32, TWO32 - 1n, 1n << 31n, TWO64 - (1n << 31n), 63n, 64n, 31n, 32n];
const operand64 = fc.oneof(fc.constantFrom(...edges64), fc.bigInt({ min: 0n, max: TWO64 - 1n }));
const edgesImm = [0, 1, -1, 0x7fff_ffff, -0x8000_0000, 31, 32, 63, 64];
const imm32 = fc.oneof(fc.constantFrom(...edgesImm), fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }));

// The expected value of `dst op= src` per RFC 9669 §4.1 for width 32 or 64
// (src already the 64-bit operand: a register or the sign-extended immediate).
function rfcAlu(name: string, width: 32n | 64n, dst: bigint, src: bigint): bigint {
  const m = 1n << width;
  const a = mod(dst, m);
  const b = mod(src, m);
  const sa = signed(a, width);
  const sb = signed(b, width);
  switch (name) {
    case "add":
      return mod(a + b, m);
    case "sub":
      return mod(a - b, m);
    case "mul":
      return mod(a * b, m);
    case "div":
      return b === 0n ? 0n : a / b;
    case "sdiv":
      return b === 0n ? 0n : mod(truncDiv(sa, sb), m);
    case "mod":
      return b === 0n ? a : a - b * (a / b);
    case "smod":
      return b === 0n ? a : mod(sa - sb * truncDiv(sa, sb), m);
    case "or":
      return a | b;
    case "and":
      return a & b;
    case "xor":
      return a ^ b;
    case "lsh":
      return mod(a * 2n ** mod(b, width), m);
    case "rsh":
      return a / 2n ** mod(b, width);
    case "arsh": {
      // floor(sa / 2^k) is the arithmetic shift.
      const k = 2n ** mod(b, width);
      const q = sa / k;
      return mod(sa < 0n && q * k !== sa ? q - 1n : q, m);
    }
    case "neg":
      return mod(-a, m);
    case "mov":
      return b;
    default:
      throw new Error(name);
  }
}

const aluOps: { name: string; op: number; off: number }[] = [
  { name: "add", op: AluOp.ADD, off: 0 },
  { name: "sub", op: AluOp.SUB, off: 0 },
  { name: "mul", op: AluOp.MUL, off: 0 },
  { name: "div", op: AluOp.DIV, off: 0 },
  { name: "sdiv", op: AluOp.DIV, off: 1 },
  { name: "mod", op: AluOp.MOD, off: 0 },
  { name: "smod", op: AluOp.MOD, off: 1 },
  { name: "or", op: AluOp.OR, off: 0 },
  { name: "and", op: AluOp.AND, off: 0 },
  { name: "xor", op: AluOp.XOR, off: 0 },
  { name: "lsh", op: AluOp.LSH, off: 0 },
  { name: "rsh", op: AluOp.RSH, off: 0 },
  { name: "arsh", op: AluOp.ARSH, off: 0 },
  { name: "neg", op: AluOp.NEG, off: 0 },
  { name: "mov", op: AluOp.MOV, off: 0 },
];

function resultOf(slots: Insn[]): bigint {
  const result = run(slots);
  if (result.kind !== "exit") throw new Error(`${result.message}\n${disassemble(slots)}`);
  return result.r0;
}

const explain = (slots: Insn[], got: bigint, want: bigint): string =>
  `got 0x${got.toString(16)}, RFC says 0x${want.toString(16)} for\n${disassemble(slots)}`;

describe("ALU operations agree with RFC 9669", () => {
  it("register and immediate forms, 32 and 64 bits", () => {
    fc.assert(
      fc.property(fc.constantFrom(...aluOps), fc.boolean(), fc.boolean(), operand64, operand64, imm32, (alu, is64, fromRegister, dst, srcReg, imm) => {
        const usesRegister = fromRegister && alu.name !== "neg";
        const cls = (is64 ? Class.ALU64 : Class.ALU) | (usesRegister ? Source.X : Source.K) | alu.op;
        const op = insn(cls, R.r1, usesRegister ? R.r2 : 0, alu.off, usesRegister || alu.name === "neg" ? 0 : imm);
        const slots = program(lddw(R.r1, dst), lddw(R.r2, srcReg), op, movReg(R.r0, R.r1), exit());
        const src = usesRegister ? srcReg : BigInt.asUintN(64, BigInt(imm));
        const want = rfcAlu(alu.name, is64 ? 64n : 32n, dst, src);
        const got = resultOf(slots);
        if (!is64 && got >= TWO32) throw new Error(`32-bit result does not fit 32 bits: ${explain(slots, got, want)}`);
        if (got !== want) throw new Error(explain(slots, got, want));
      }),
      { numRuns: 3000 },
    );
  });
});

function rfcCondition(name: string, is32: boolean, dst: bigint, src: bigint): boolean {
  const width = is32 ? 32n : 64n;
  const a = mod(dst, 1n << width);
  const b = mod(src, 1n << width);
  const sa = signed(a, width);
  const sb = signed(b, width);
  const table: Record<string, boolean> = {
    jeq: a === b,
    jne: a !== b,
    jgt: a > b,
    jge: a >= b,
    jlt: a < b,
    jle: a <= b,
    jset: (a & b) !== 0n,
    jsgt: sa > sb,
    jsge: sa >= sb,
    jslt: sa < sb,
    jsle: sa <= sb,
  };
  return table[name];
}

const jumpOps = Object.entries({
  jeq: JmpOp.JEQ,
  jne: JmpOp.JNE,
  jgt: JmpOp.JGT,
  jge: JmpOp.JGE,
  jlt: JmpOp.JLT,
  jle: JmpOp.JLE,
  jset: JmpOp.JSET,
  jsgt: JmpOp.JSGT,
  jsge: JmpOp.JSGE,
  jslt: JmpOp.JSLT,
  jsle: JmpOp.JSLE,
});

describe("conditional jumps agree with RFC 9669", () => {
  it("register and immediate forms, JMP and JMP32", () => {
    fc.assert(
      fc.property(fc.constantFrom(...jumpOps), fc.boolean(), fc.boolean(), operand64, operand64, imm32, ([name, op], is32, fromRegister, dst, srcReg, imm) => {
        const cls = (is32 ? Class.JMP32 : Class.JMP) | (fromRegister ? Source.X : Source.K) | op;
        const jump = insn(cls, R.r1, fromRegister ? R.r2 : 0, 1, fromRegister ? 0 : imm);
        const slots = program(lddw(R.r1, dst), lddw(R.r2, srcReg), mov64(R.r0, 1), jump, mov64(R.r0, 0), exit());
        const src = fromRegister ? srcReg : BigInt.asUintN(64, BigInt(imm));
        const want = rfcCondition(name, is32, dst, src) ? 1n : 0n;
        const got = resultOf(slots);
        if (got !== want) throw new Error(explain(slots, got, want));
      }),
      { numRuns: 2000 },
    );
  });
});

// Any slot: valid opcodes and garbage alike, registers up to 15, any offsets.
const anySlot = fc
  .record({ opcode: fc.integer({ min: 0, max: 255 }), dst: fc.integer({ min: 0, max: 15 }), src: fc.integer({ min: 0, max: 15 }), off: fc.integer({ min: -40, max: 40 }), imm: imm32 })
  .map(({ opcode, dst, src, off, imm }) => insn(opcode, dst, src, off, imm));

describe("robustness", () => {
  it("random programs end in an exit or a fault, never an exception", () => {
    fc.assert(
      fc.property(fc.array(anySlot, { minLength: 1, maxLength: 24 }), fc.uint8Array({ maxLength: 64 }), fc.boolean(), (slots, bytes, xdp) => {
        const input = xdp ? ({ kind: "xdp", buffer: createXdpBuffer(bytes) } as const) : ({ kind: "memory", bytes } as const);
        const result = run(slots, { input }, { maxSteps: 500 });
        expect(["exit", "fault"]).toContain(result.kind);
        if (result.kind === "fault") expect(result.fault.pc).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 1500 },
    );
  });

  it("random helper calls with random arguments end in an exit or a fault, never an exception", () => {
    const maps = (): BpfMap[] => [
      createMap({ name: "array", type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 4, flags: 0 }),
      createMap({ name: "hash", type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 }),
      createMap({ name: "ring", type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 }),
      createMap({ name: "progs", type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 }),
      createMap({ name: "ports", type: MapType.DEVMAP, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 }),
      createMap({ name: "queue", type: MapType.QUEUE, keySize: 0, valueSize: 8, maxEntries: 2, flags: 0 }),
      createMap({ name: "perf", type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 }),
    ];
    // An argument: a small number, a stack or context pointer with an offset, a map handle.
    const argument = fc.oneof(
      fc.integer({ min: -64, max: 4096 }).map((n) => [mov64(0, n)]),
      fc.integer({ min: -520, max: 8 }).map((n) => [movReg(0, R.r10), alu64Imm(AluOp.ADD, 0, n)]),
      fc.constant([movReg(0, R.r6)]),
      fc.integer({ min: 0, max: 6 }).map((i) => ldMap(0, i)),
    );
    const helperCall = fc
      .record({ id: fc.constantFrom(...helperImplementations.keys()), args: fc.array(argument, { minLength: 5, maxLength: 5 }) })
      .map(({ id, args }) => {
        // Each argument's instructions, retargeted to write r1..r5.
        const setup = args.flatMap((slots, i) => slots.map((slot) => ({ ...slot, dst: i + 1 })));
        return program(setup, callHelper(id));
      });
    fc.assert(
      fc.property(fc.array(helperCall, { minLength: 1, maxLength: 6 }), fc.uint8Array({ minLength: 14, maxLength: 80 }), (calls, bytes) => {
        const slots = program(movReg(R.r6, R.r1), ...calls, mov64(R.r0, 2), exit());
        const result = run(slots, { maps: maps(), programs: new Map([[0, slots]]), input: { kind: "xdp", buffer: createXdpBuffer(bytes) } }, { maxSteps: 2000 });
        expect(["exit", "fault"]).toContain(result.kind);
      }),
      { numRuns: 500 },
    );
  });
});
