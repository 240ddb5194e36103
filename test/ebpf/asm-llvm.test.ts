import { describe, expect, it } from "vitest";
import { AsmError, assemble, encodeProgram } from "../../src/ebpf/index.ts";

const hex = (text: string): string => Buffer.from(encodeProgram(assemble(text))).toString("hex");

describe("LLVM/kernel syntax", () => {
  // Encodings from `llvm-mc -triple bpfel -show-encoding` (LLVM 14) where it knows the syntax.
  it.each([
    ["r1 += 1", "0701000001000000"],
    ["w1 += w2", "0c21000000000000"],
    ["r1 = -r1", "8701000000000000"],
    ["r1 = be16 r1", "dc01000010000000"],
    ["r1 = le64 r1", "d401000040000000"],
    ["r1 = 1234605616436508552 ll", "1801000088776655" + "0000000044332211"],
    ["r0 = *(u32 *)(r1 + 4)", "6110040000000000"],
    ["*(u64 *)(r10 - 8) = r1", "7b1af8ff00000000"],
    ["lock *(u64 *)(r0 + 0) += r1", "db10000000000000"],
    ["r1 = atomic_fetch_or((u64 *)(r0 + 0), r1)", "db10000041000000"],
    ["r1 = xchg_64(r0 + 0, r1)", "db100000e1000000"],
    ["r0 = cmpxchg_64(r0 + 0, r0, r1)", "db100000f1000000"],
    ["w1 = atomic_fetch_and((u32 *)(r0 + 0), w1)", "c310000051000000"],
    ["lock *(u32 *)(r0 + 0) &= w1", "c310000050000000"],
    ["if r1 > r2 goto +3", "2d21030000000000"],
    ["if w1 > -1 goto +3", "26010300ffffffff"],
    ["if r1 s> r2 goto +3", "6d21030000000000"],
    ["goto +3", "0500030000000000"],
    ["call 1", "8500000001000000"],
    ["exit", "9500000000000000"],
    ["r0 = *(u16 *)skb[12]", "280000000c000000"],
    ["r0 = *(u8 *)skb[r1]", "5010000000000000"],
    ["r1 s>>= 5", "c701000005000000"],
    ["ld_pseudo r1, 1, 5", "1811000005000000" + "0000000000000000"],
  ])("assembles `%s` as llvm-mc does", (text, expected) => {
    expect(hex(text)).toBe(expected);
  });

  // Syntax newer LLVM prints for v4 and BPF_ST (RFC 9669 encodings worked out by hand).
  it.each([
    ["r1 s/= r2", "3f21010000000000"], // ALU64|X|DIV, off 1
    ["w1 s%= 3", "9401010003000000"], // ALU|K|MOD, off 1
    ["r1 %= r2", "9f21000000000000"],
    ["r1 = (s8)r2", "bf21080000000000"], // MOVSX: ALU64|X|MOV, off 8
    ["w1 = (s16)w2", "bc21100000000000"],
    ["r1 = bswap32 r1", "d701000020000000"], // ALU64|END, imm 32
    ["gotol -2", "06000000feffffff"], // JMP32|JA, offset in imm
    ["r1 = *(s16 *)(r2 + 6)", "8921060000000000"], // LDX|H|MEMSX
    ["*(u32 *)(r10 - 4) = 7", "620afcff07000000"], // ST|W|MEM
    ["if r1 & 0x10 goto +1", "4501010010000000"], // JSET
    ["callx r2", "8d02000000000000"], // register in dst, as LLVM >= 19 and bpf_conformance
    ["call pc+2", "8510000002000000"], // bpf-to-bpf: src 1, offset in imm
    ["call kfunc 77, 1", "852001004d000000"], // src 2, BTF id in imm, fd index in off
    ["r0 = *(u32 *)skb[r1 + 8]", "4010000008000000"],
  ])("assembles `%s`", (text, expected) => {
    expect(hex(text)).toBe(expected);
  });

  it("reads labels, objdump annotations, `;`-separated statements and comments", () => {
    const program = assemble(`
      .text
      prog:                       # entry
        r0 = 0; if r1 == 0 goto out
        goto +1 <LBB0_2>          // objdump's annotation
        r0 = 1
      out: exit
    `);
    expect(program.map((s) => s.off)).toEqual([0, 2, 1, 0, 0]);
  });

  it("mixes both syntaxes in one text", () => {
    expect(hex("mov %r0, 1\nr0 += 2\nexit")).toBe("b700000001000000" + "0700000002000000" + "9500000000000000");
  });

  it.each([
    ["r1 = w2", "expected a 64-bit register"],
    ["r1 = atomic_fetch_add((u64 *)(r0 + 0), r2)", "result must be r2"],
    ["r1 = *(u32 *)(r2 + 40000)", "does not fit 16 bits"],
    ["if r1 >> r2 goto +1", "expected a comparison"],
    ["w1 = 1 ll", "64-bit register"],
    ["goto nowhere", "label 'nowhere' is not defined"],
    ["r1 = (s32)r2\nw1 = (s32)w2", "no valid encoding"],
  ])("rejects `%s` (%s)", (text, message) => {
    expect(() => assemble(text)).toThrow(AsmError);
    expect(() => assemble(text)).toThrow(message);
  });

  it("refuses a 16-bit jump to a label beyond 32767 slots", () => {
    const text = `goto far\n${"r0 = 0\n".repeat(40000)}far: exit`;
    expect(() => assemble(text)).toThrow("beyond the 16-bit jump offset");
    expect(assemble(text.replace("goto far", "gotol far"))[0].imm).toBe(40000);
  });
});
