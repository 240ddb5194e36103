import { describe, expect, it } from "vitest";
import { EbpfDecodeError, decodeProgram, describe as describeInsn, encodeProgram, isValidInsn } from "../../src/ebpf/index.ts";
import { OffloadSimError } from "../../src/errors.ts";

// RFC 9669 §3.1's example: `r1 += 0x11223344` in little- and big-endian encoding.
const LITTLE = Uint8Array.from([0x07, 0x01, 0x00, 0x00, 0x44, 0x33, 0x22, 0x11]);
const BIG = Uint8Array.from([0x07, 0x10, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44]);

describe("decodeProgram", () => {
  it("reads RFC 9669's example in both byte orders", () => {
    const expected = [{ opcode: 0x07, dst: 1, src: 0, off: 0, imm: 0x11223344 }];
    expect(decodeProgram(LITTLE)).toEqual(expected);
    expect(decodeProgram(BIG, { littleEndian: false })).toEqual(expected);
    expect(encodeProgram(expected, { littleEndian: false })).toEqual(BIG);
  });

  it("keeps lddw's second slot so indices are the pcs jumps count in", () => {
    const bytes = Uint8Array.from([0x18, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
    expect(decodeProgram(bytes).map((s) => s.opcode)).toEqual([0x18, 0x00, 0x95]);
  });

  it("names the file, the instruction index and the byte offset of the first invalid slot", () => {
    const bytes = new Uint8Array(24);
    bytes.set([0xb7, 0, 0, 0, 0, 0, 0, 0], 0); // r0 = 0
    bytes.set([0x95, 0, 0, 0, 0, 0, 0, 0], 8); // exit
    bytes.set([0xbf, 0x0b, 0, 0, 0, 0, 0, 0], 16); // r11 = r0: there is no r11
    const error = (() => {
      try {
        decodeProgram(bytes, { sourceName: "prog.bin", baseOffset: 0x40 });
      } catch (e) {
        return e as EbpfDecodeError;
      }
      throw new Error("no error");
    })();
    expect(error).toBeInstanceOf(EbpfDecodeError);
    expect(error).toBeInstanceOf(OffloadSimError);
    expect(error.pc).toBe(2);
    expect(error.byteOffset).toBe(0x40 + 16);
    expect(error.message).toBe(
      "prog.bin: invalid eBPF instruction 2 at byte offset 80 (0x50): destination register r11 does not exist (r0-r10 only).",
    );
  });

  it("rejects a length that is not a multiple of 8", () => {
    expect(() => decodeProgram(new Uint8Array(12))).toThrow("12 bytes is not a whole number of 8-byte instructions");
  });
});

describe("describe", () => {
  it("classifies into readable forms", () => {
    expect(describeInsn({ opcode: 0x0f, dst: 1, src: 2, off: 0, imm: 0 })).toEqual({
      kind: "alu", width: 64, op: "add", source: "reg", dst: 1, src: 2, imm: 0,
    });
    expect(describeInsn({ opcode: 0x94, dst: 3, src: 0, off: 1, imm: -7 })).toEqual({
      kind: "alu", width: 32, op: "smod", source: "imm", dst: 3, src: 0, imm: -7,
    });
    expect(describeInsn({ opcode: 0x06, dst: 0, src: 0, off: 0, imm: 70000 })).toEqual({ kind: "ja", long: true, offset: 70000 });
    expect(describeInsn({ opcode: 0x18, dst: 2, src: 2, off: 0, imm: 4 }, { opcode: 0, dst: 0, src: 0, off: 0, imm: 16 })).toEqual({
      kind: "lddw", dst: 2, pseudo: "mapValue", imm: 4, nextImm: 16,
    });
    expect(describeInsn({ opcode: 0xc3, dst: 10, src: 1, off: -4, imm: 0xe1 })).toEqual({
      kind: "atomic", sizeBytes: 4, op: "xchg", fetch: true, dst: 10, src: 1, off: -4,
    });
    expect(describeInsn({ opcode: 0x91, dst: 0, src: 1, off: 2, imm: 0 })).toEqual({
      kind: "load", sizeBytes: 1, signed: true, dst: 0, src: 1, off: 2,
    });
  });

  it.each([
    [{ opcode: 0x18, dst: 1, src: 1, off: 0, imm: 3 }, { opcode: 0, dst: 0, src: 0, off: 0, imm: 1 }, "map fd lddw with a non-zero next_imm"],
    [{ opcode: 0x18, dst: 1, src: 0, off: 0, imm: 3 }, undefined, "lddw without its second slot"],
    [{ opcode: 0xd7, dst: 1, src: 0, off: 0, imm: 24 }, undefined, "bswap24"],
    [{ opcode: 0x0c, dst: 1, src: 2, off: 1, imm: 0 }, undefined, "add with off 1"],
    [{ opcode: 0x87, dst: 1, src: 0, off: 0, imm: 1 }, undefined, "neg with imm"],
    [{ opcode: 0x05, dst: 1, src: 0, off: 2, imm: 0 }, undefined, "goto with dst"],
    [{ opcode: 0x06, dst: 0, src: 0, off: 2, imm: 0 }, undefined, "gotol with off"],
    [{ opcode: 0x85, dst: 0, src: 0, off: 1, imm: 0 }, undefined, "helper call with off"],
    [{ opcode: 0x62, dst: 1, src: 2, off: 0, imm: 0 }, undefined, "store-immediate with src"],
  ])("isValidInsn rejects %o (%s)", (slot, next, _why) => {
    expect(isValidInsn(slot, next)).toBe(false);
  });
});
