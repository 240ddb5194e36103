// bpf_csum_diff: a hand computation, values the Linux 6.18 kernel returned for
// the same inputs, and a property in RFC 1071 arithmetic.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AluOp, Size } from "../../src/ebpf/opcode.ts";
import { csumDiffValue } from "../../src/helpers/csum.ts";
import { HelperId } from "../../src/helpers/prototypes.ts";
import { run } from "../../src/interp/index.ts";
import { R, alu64Imm, callHelper, exit, mov64, movReg, program, st } from "../interp/program.ts";

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const none = new Uint8Array(0);

describe("bpf_csum_diff", () => {
  it("matches a hand computation of a 4-byte replacement", () => {
    // As 16-bit network-order words, to - from = (3 - 1) + (4 - 2) = 4, i.e. 0x0004.
    // The helper reads memory little-endian, so that sum sits in the register as 0x0400.
    expect(csumDiffValue(bytes(0x00, 0x01, 0x00, 0x02), bytes(0x00, 0x03, 0x00, 0x04), 0)).toBe(0x0400);
  });

  it("returns the folded seed when both sizes are zero", () => {
    // 0x0001_0002 folds to 0x0001 + 0x0002 = 3.
    expect(csumDiffValue(none, none, 0x0001_0002)).toBe(3);
  });

  // Observed on Linux 6.18 (x86_64) with BPF_PROG_TEST_RUN: an XDP program called
  // bpf_csum_diff on these bytes of its packet and stored the results in a map.
  const data = bytes(0xff, 0xfe, 0x12, 0x34, 0x00, 0x01, 0x80, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88);
  it.each([
    { what: "diff of two 8-byte blocks", from: data.subarray(0, 8), to: data.subarray(8, 16), seed: 0, kernel: 8319 },
    { what: "16 bytes pushed onto seed 0x12345", from: none, to: data.subarray(0, 16), seed: 0x12345, kernel: 44265 },
    { what: "12 bytes pulled from seed 0xffff0000", from: data.subarray(0, 12), to: none, seed: 0xffff0000, kernel: 25897 },
    { what: "6 bytes pulled (not a multiple of 4)", from: data.subarray(0, 6), to: none, seed: 0, kernel: 52205 },
    { what: "nothing, seed 0xdeadbeef", from: none, to: none, seed: 0xdeadbeef, kernel: 40349 },
  ])("gives the kernel's answer: $what", ({ from, to, seed, kernel }) => {
    expect(csumDiffValue(from, to, seed)).toBe(kernel);
  });

  it("is the one's-complement difference of 16-bit words (RFC 1071), modulo 0xffff", () => {
    const words = (b: Uint8Array): number => {
      let sum = 0;
      for (let i = 0; i < b.length; i += 2) sum += b[i] | (b[i + 1] << 8);
      return sum;
    };
    const block = fc.integer({ min: 0, max: 16 }).chain((n) => fc.uint8Array({ minLength: 4 * n, maxLength: 4 * n }));
    fc.assert(
      fc.property(block, block, fc.integer({ min: 0, max: 0xffff }), (from, to, seed) => {
        const expected = (((seed + words(to) - words(from)) % 0xffff) + 0xffff) % 0xffff;
        expect(csumDiffValue(from, to, seed) % 0xffff).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it("reads both buffers from program memory", () => {
    const slots = program(
      st(Size.W, R.r10, -8, 0x02000100),
      st(Size.W, R.r10, -4, 0x04000300),
      movReg(R.r1, R.r10),
      alu64Imm(AluOp.ADD, R.r1, -8),
      mov64(R.r2, 4),
      movReg(R.r3, R.r10),
      alu64Imm(AluOp.ADD, R.r3, -4),
      mov64(R.r4, 4),
      mov64(R.r5, 0),
      callHelper(HelperId.CSUM_DIFF),
      exit(),
    );
    expect(run(slots)).toMatchObject({ kind: "exit", r0: 0x0400n });
  });
});
