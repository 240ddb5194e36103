import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AsmError,
  EbpfDecodeError,
  type Insn,
  assemble,
  decodeProgram,
  describe as describeInsn,
  disassemble,
  encodeProgram,
  formatInstruction,
  invalidReason,
  toSlots,
} from "../../src/ebpf/index.ts";
import { hexSlot, invalidSlot, readable, validGroups, validInstruction } from "./arbitrary.ts";

const RUNS = 400;

// Counterexamples print each slot's bytes with our LLVM text (or why it is invalid).
const textAt = (program: Insn[], pc: number): string => {
  const reason = invalidReason(program[pc], program[pc + 1]);
  if (reason !== undefined) return program[pc].opcode === 0 && pc > 0 && program[pc - 1].opcode === 0x18 ? "(lddw 2nd slot)" : `<${reason}>`;
  return formatInstruction(describeInsn(program[pc], program[pc + 1]));
};
const programOf = (groups: Insn[][]): Insn[] => readable(groups.flat(), textAt);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

describe("encoding properties", () => {
  it("decode(encode(p)) = p for valid programs of every class, in both byte orders", () => {
    fc.assert(
      fc.property(validGroups.map(programOf), fc.boolean(), (program, littleEndian) => {
        expect(decodeProgram(encodeProgram(program, { littleEndian }), { littleEndian })).toEqual(program);
      }),
      { numRuns: RUNS },
    );
  });

  it("toSlots(describe(slot)) reproduces every valid instruction", () => {
    fc.assert(
      fc.property(validInstruction.map((s) => readable(s, textAt)), (slots) => {
        expect(toSlots(describeInsn(slots[0], slots[1]))).toEqual(slots);
      }),
      { numRuns: RUNS },
    );
  });

  it("assemble(disassemble(p)) = p byte for byte, in the LLVM syntax", () => {
    fc.assert(
      fc.property(validGroups.map(programOf), (program) => {
        const text = disassemble(program, { syntax: "llvm" });
        expect(hex(encodeProgram(assemble(text))), text).toBe(hex(encodeProgram(program)));
      }),
      { numRuns: RUNS },
    );
  });

  it("assemble(disassemble(p)) = p byte for byte, in the bpf_conformance syntax", () => {
    fc.assert(
      fc.property(validGroups.map(programOf), (program) => {
        const text = disassemble(program, { syntax: "mnemonic" });
        expect(hex(encodeProgram(assemble(text))), text).toBe(hex(encodeProgram(program)));
      }),
      { numRuns: RUNS },
    );
  });

  it("decode rejects an invalid instruction with an error naming its index and byte offset", () => {
    fc.assert(
      fc.property(validGroups, invalidSlot, fc.nat(), (groups, bad, at) => {
        const index = at % (groups.length + 1);
        const before = groups.slice(0, index).flat();
        const program = readable([...before, ...bad.slots, ...groups.slice(index).flat()], textAt);
        const pc = before.length;
        let caught: unknown;
        try {
          decodeProgram(encodeProgram(program));
        } catch (e) {
          caught = e;
        }
        expect(caught, bad.why).toBeInstanceOf(EbpfDecodeError);
        const error = caught as EbpfDecodeError;
        expect(error.pc, bad.why).toBe(pc);
        expect(error.message).toContain(`instruction ${pc} at byte offset ${pc * 8}`);
      }),
      { numRuns: RUNS },
    );
  });

  it("decode rejects an lddw whose second slot is missing, naming the lddw", () => {
    fc.assert(
      fc.property(validGroups, fc.integer({ min: 0, max: 10 }), (groups, dst) => {
        const program = [...groups.flat(), { opcode: 0x18, dst, src: 0, off: 0, imm: 1 }];
        expect(() => decodeProgram(encodeProgram(program))).toThrow(`instruction ${program.length - 1} at byte offset ${(program.length - 1) * 8}`);
      }),
      { numRuns: 50 },
    );
  });
});

describe("robustness on arbitrary input", () => {
  it("decodeProgram on random bytes returns a program or throws EbpfDecodeError, nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
        try {
          const program = decodeProgram(bytes);
          expect(hex(encodeProgram(program))).toBe(hex(bytes));
        } catch (e) {
          expect(e, hexSlot.name).toBeInstanceOf(EbpfDecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  // Text built from pieces of real assembly, shuffled and cut, so the parser meets near-misses.
  const fragments = [
    "r1", "w2", "%r3", "r11", "=", "+=", "s>>=", "-", "(", ")", "*", "(u32 *)", "(s8)", "[", "]", "%r10-8", "+4", ",", "goto",
    "if", ">", "s<", "0x10", "-1", "99999999999999999999", "ll", "lock", "fetch", "add32", "call", "local", "exit", "lddw",
    "ldxw", "stxdw", "ja", "L1", "L1:", "#c", "//c", ";", "\n", "map_value", "skb", "be16", "atomic_fetch_add", "xchg_64", "ld_pseudo",
  ];
  it("assemble on mangled text returns a program or throws AsmError with a position, nothing else", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...fragments), { maxLength: 14 }), (pieces) => {
        const text = pieces.join(" ");
        try {
          assemble(text);
        } catch (e) {
          expect(e, text).toBeInstanceOf(AsmError);
          expect((e as AsmError).line, text).toBeGreaterThan(0);
          expect((e as AsmError).column, text).toBeGreaterThan(0);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("assemble on random strings throws only AsmError", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        try {
          assemble(text);
        } catch (e) {
          expect(e, JSON.stringify(text)).toBeInstanceOf(AsmError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
