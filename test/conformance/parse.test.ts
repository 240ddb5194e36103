// The .data format: each section read as bpf_conformance reads it, unknown
// sections refused, malformed text reported with its line, never a crash.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OffloadSimError } from "../../src/errors.ts";
import { ConformanceFormatError, parseConformance } from "../../src/conformance/parse.ts";
import { runCase, slotsFromRaw } from "../../src/conformance/runner.ts";

describe("parseConformance", () => {
  it("reads asm, mem and a hex result, ignoring comments, c and notes", () => {
    const parsed = parseConformance(
      ["# header comment", "-- c", "int main() {}", "-- asm", "mov %r0, 1 # trailing", "exit", "-- mem", "00 ff", "10", "-- no register offset", "call instruction", "-- result", "0x10"].join("\n"),
      "t.data",
    );
    expect(parsed.memory).toEqual(Uint8Array.of(0x00, 0xff, 0x10));
    expect(parsed.expected).toEqual({ kind: "result", value: 16n });
    expect(parsed.asm).toContain("mov %r0, 1 ");
    expect(parsed.asm).not.toContain("trailing");
  });

  it("keeps asm line numbers equal to the file's", () => {
    const parsed = parseConformance("-- asm\n\nbogus %r0\n-- result\n0", "t.data");
    expect(parsed.asm!.split("\n")[2]).toBe("bogus %r0");
  });

  it("reads decimal and negative results modulo 2^64", () => {
    expect(parseConformance("-- asm\nexit\n-- result\n-1", "t.data").expected).toEqual({ kind: "result", value: (1n << 64n) - 1n });
    expect(parseConformance("-- asm\nexit\n-- result\n42", "t.data").expected).toEqual({ kind: "result", value: 42n });
  });

  it("takes raw words with the opcode in the low byte", () => {
    const parsed = parseConformance("-- raw\n0x5566778800000018\n0x1122334400000000\n0x0000000000000095\n-- result\n0x0", "t.data");
    const slots = slotsFromRaw(parsed.raw!);
    expect(slots[0]).toEqual({ opcode: 0x18, dst: 0, src: 0, off: 0, imm: 0x55667788 });
    expect(slots[1].imm).toBe(0x11223344);
    expect(slots[2].opcode).toBe(0x95);
  });

  it("reads error and error pattern expectations", () => {
    expect(parseConformance("-- asm\nexit\n-- error\ninvalid thing", "t.data").expected).toEqual({ kind: "error", text: "invalid thing" });
    expect(parseConformance("-- asm\nexit\n-- error pattern\n.*bad.*", "t.data").expected).toEqual({ kind: "error-pattern", pattern: ".*bad.*" });
  });

  it.each([
    { why: "an unknown section", text: "-- asm\nexit\n-- surprise\n-- result\n0", line: 3 },
    { why: "no program", text: "-- result\n0", line: 2 },
    { why: "no expectation", text: "-- asm\nexit", line: 2 },
    { why: "a bad memory byte", text: "-- asm\nexit\n-- mem\n0g\n-- result\n0", line: 4 },
    { why: "a bad result", text: "-- asm\nexit\n-- result\nzero", line: 4 },
    { why: "text before any section", text: "hello\n-- asm\nexit\n-- result\n0", line: 1 },
  ])("reports $why with its line", ({ text, line }) => {
    expect(() => parseConformance(text, "t.data")).toThrow(new RegExp(`^t\\.data:${line}: `));
  });

  it("never fails with anything but a ConformanceFormatError, whatever the text", () => {
    const piece = fc.constantFrom("-- asm\n", "-- raw\n", "-- mem\n", "-- result\n", "-- error\n", "-- c\n", "-- x\n", "mov %r0, 1\n", "exit\n", "0x1\n", "ff 00\n", "# c\n", "\n");
    fc.assert(
      fc.property(fc.array(fc.oneof(piece, fc.string()), { maxLength: 12 }), (pieces) => {
        try {
          const parsed = parseConformance(pieces.join(""), "f.data");
          const outcome = runCase(parsed);
          expect(typeof outcome.passed).toBe("boolean");
        } catch (err) {
          expect(err).toBeInstanceOf(OffloadSimError);
          if (!(err instanceof ConformanceFormatError)) expect((err as Error).message).toMatch(/f\.data/);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe("runCase", () => {
  it("fails a vector whose result differs, saying both values", () => {
    const outcome = runCase(parseConformance("-- asm\nmov %r0, 3\nexit\n-- result\n0x4", "t.data"));
    expect(outcome).toEqual({ source: "t.data", passed: false, reason: "returned 0x3, expected 0x4" });
  });

  it("passes an error vector when the program faults", () => {
    expect(runCase(parseConformance("-- asm\nldxw %r0, [%r1]\nexit\n-- error\nout of bounds", "t.data")).passed).toBe(true);
  });

  it("fails when asm and raw disagree", () => {
    const outcome = runCase(parseConformance("-- asm\nmov %r0, 1\nexit\n-- raw\n0x00000002000000b7\n0x0000000000000095\n-- result\n0x2", "t.data"));
    expect(outcome).toMatchObject({ passed: false, reason: "the asm and raw sections disagree at slot 0" });
  });
});
