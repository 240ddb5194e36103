import { describe, expect, it } from "vitest";
import { AsmError, assemble, encodeProgram } from "../../src/ebpf/index.ts";
import { readConformanceVectors } from "./conformance-vectors.ts";

// Encodings written out by hand from RFC 9669's tables (opcode = code | source | class;
// regs byte = src << 4 | dst; off s16 LE; imm s32 LE), not from our tables.
const hex = (text: string): string => Buffer.from(encodeProgram(assemble(text))).toString("hex");

describe("mnemonic (bpf_conformance) syntax", () => {
  it.each([
    ["mov32 %r0, 1", "b400000001000000"], // ALU|K|MOV = 0x04|0x00|0xb0
    ["mov %r1, -1", "b7010000ffffffff"], // ALU64|K|MOV
    ["add32 %r0, %r1", "0c10000000000000"], // ALU|X|ADD
    ["sdiv %r1, %r2", "3f21010000000000"], // ALU64|X|DIV, off 1
    ["smod32 %r1, -3", "94010100fdffffff"], // ALU|K|MOD, off 1
    ["movsx1664 %r8, %r7", "bf78100000000000"], // ALU64|X|MOV, off 16
    ["neg32 %r3", "8403000000000000"],
    ["be16 %r1", "dc01000010000000"], // ALU|TO_BE|END, imm 16
    ["le64 %r1", "d401000040000000"],
    ["swap32 %r0", "d700000020000000"], // ALU64|END (bswap), imm 32
    ["bswap64 %r0", "d700000040000000"],
    ["ldxw %r0, [%r1+4]", "6110040000000000"], // LDX|W|MEM
    ["ldxdw %r0, [%r10-8]", "79a0f8ff00000000"], // regs byte: src r10 high nibble, dst r0 low,
    ["ldxsh %r0, [%r10-2]", "89a0feff00000000"], // LDX|H|MEMSX = 0x01|0x08|0x80
    ["stw [%r10-4], 7", "620afcff07000000"],
    ["stxb [%r1+2], %r3", "7331020000000000"],
    ["lock add [%r10-8], %r1", "db1af8ff00000000"], // STX|DW|ATOMIC, imm ADD
    ["lock fetch xor32 [%r10-4], %r3", "c33afcffa1000000"],
    ["lock cmpxchg [%r10-8], %r1", "db1af8fff1000000"],
    ["lock xchg32 [%r10-8], %r1", "c31af8ffe1000000"],
    ["jne %r0, 15, +3", "550003000f000000"],
    ["jsge32 %r1, %r2, -2", "7e21feff00000000"],
    ["ja +3", "0500030000000000"],
    ["ja32 -1", "06000000ffffffff"], // JMP32|JA: offset in imm
    ["call 5", "8500000005000000"],
    ["call local +2", "8510000002000000"], // src = 1 (PSEUDO_CALL)
    ["call %r2", "8d02000000000000"], // callx: register in dst
    ["exit", "9500000000000000"],
    ["lddw %r0, 0x1122334455667788", "1800000088776655" + "0000000044332211"],
    ["ldabsh 12", "280000000c000000"], // LD|H|ABS
    ["ldindb %r1, 2", "5010000002000000"], // LD|B|IND
  ])("assembles `%s`", (text, expected) => {
    expect(hex(text)).toBe(expected);
  });

  it("resolves labels forwards and backwards, counting lddw as two slots", () => {
    const program = assemble("ja L2\nL1:\nlddw %r1, 5\nexit\nL2:\njne %r1, 0, L1\nexit\n");
    expect(program.map((s) => s.off)).toEqual([3, 0, 0, 0, -4, 0]);
  });

  it("treats an undefined label `exit` as the first exit instruction, as bpf_conformance does", () => {
    const program = assemble("jne %r0, 0, exit\nmov %r0, 1\nexit\nexit\n");
    expect(program[0].off).toBe(1);
  });

  it("resolves `call local label` into the imm field", () => {
    const program = assemble("call local f\nexit\nf:\nmov %r0, 1\nexit\n");
    expect(program[0].imm).toBe(1);
  });

  it.each([
    ["mov %r11, 1", 1, 5],
    ["add %r0,", 1, 9],
    ["jne %r0, 1, nowhere", 1, 13],
    ["ldxw %r0, [%r1+4", 1, 17],
    ["mov32 %r0, 0x100000000", 1, 12],
    ["frobnicate %r0", 1, 1],
    ["exit\nmov %r0, 1 1", 2, 12],
  ])("rejects `%s` with line %i and column %i", (text, line, column) => {
    const error = (() => {
      try {
        assemble(text);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(AsmError);
    expect((error as AsmError).line).toBe(line);
    expect((error as AsmError).column).toBe(column);
  });

  const vectors = readConformanceVectors();
  it.skipIf(vectors.length === 0)("assembles every conformance vector (skipped when the vectors are absent)", () => {
    for (const vector of vectors) expect(() => assemble(vector.asm, { sourceName: vector.name })).not.toThrow();
    expect(vectors.length).toBeGreaterThan(300);
  });

  it.skipIf(vectors.length === 0)("matches the vectors' own `-- raw` encodings", () => {
    const withRaw = vectors.filter((v) => v.raw !== undefined);
    expect(withRaw.length).toBeGreaterThan(0);
    for (const vector of withRaw) {
      const bytes = encodeProgram(assemble(vector.asm));
      const view = new DataView(bytes.buffer);
      const words = Array.from({ length: bytes.length / 8 }, (_, i) => view.getBigUint64(i * 8, true));
      expect(words, vector.name).toEqual(vector.raw);
    }
  });
});
