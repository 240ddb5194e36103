// Bad input never crashes the verifier: arbitrary instruction slots (most of
// them invalid encodings, jumps anywhere, lddw halves out of place) always
// give a verdict, never an exception.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { disassemble } from "../../src/ebpf/disasm.ts";
import { type Insn, insn } from "../../src/ebpf/instruction.ts";
import { verify } from "../../src/verifier/index.ts";
import { validGroups } from "../ebpf/arbitrary.ts";
import { GEN_MAPS, generatedProgram } from "./program-gen.ts";

// Opcodes that decode, weighted up so that programs get past the decoder; any byte now and then.
const validOpcodes = [0x07, 0x0f, 0x17, 0x1f, 0x27, 0x37, 0x47, 0x4f, 0x57, 0x5f, 0x67, 0x77, 0x87, 0xa7, 0xb7, 0xbf, 0xc7, 0x04, 0x0c, 0xb4, 0xbc, 0xdc, 0x05, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x45, 0x55, 0x65, 0xa5, 0xad, 0xb5, 0xc5, 0x16, 0x26, 0x85, 0x95, 0x18, 0x61, 0x69, 0x71, 0x79, 0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb, 0x91, 0x30, 0x00];
const slot: fc.Arbitrary<Insn> = fc
  .tuple(
    fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...validOpcodes) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
    fc.integer({ min: 0, max: 10 }),
    fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 10 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 6 }) }),
    fc.oneof(fc.integer({ min: -8, max: 8 }), fc.integer({ min: -0x8000, max: 0x7fff })),
    fc.oneof(fc.integer({ min: -8, max: 64 }), fc.integer({ min: -0x80000000, max: 0x7fffffff })),
  )
  .map(([opcode, dst, src, off, imm]) => insn(opcode, dst, src, off, imm));

describe("verifier robustness", () => {
  it("gives a verdict for arbitrary instruction slots", () => {
    fc.assert(
      fc.property(fc.array(slot, { minLength: 0, maxLength: 24 }), (program) => {
        const result = verify(program, GEN_MAPS, { logLevel: 2 });
        expect(typeof result.accepted).toBe("boolean");
        if (!result.accepted) expect(result.error!.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 3000, seed: 7 },
    );
  });

  it("gives a verdict for programs of valid encodings of every form (test/ebpf/arbitrary.ts)", () => {
    fc.assert(
      fc.property(validGroups, (groups) => {
        const result = verify(groups.flat(), GEN_MAPS, { logLevel: 2 });
        expect(typeof result.accepted).toBe("boolean");
      }),
      { numRuns: 3000, seed: 9 },
    );
  });

  it("gives a verdict for generated programs with slots overwritten at random", () => {
    fc.assert(
      fc.property(generatedProgram, fc.array(fc.tuple(fc.nat(200), slot), { maxLength: 3 }), (g, patches) => {
        const program = g.program.slice();
        for (const [at, replacement] of patches) if (program.length > 0) program[at % program.length] = replacement;
        let result;
        try {
          result = verify(program, GEN_MAPS, { logLevel: 1 });
        } catch (error) {
          throw new Error(`verify threw ${String(error)} on:\n${program.map((s) => JSON.stringify(s)).join("\n")}`);
        }
        expect(typeof result.accepted).toBe("boolean");
        if (result.accepted) expect(disassemble(program).length).toBeGreaterThan(0);
      }),
      { numRuns: 1500, seed: 8 },
    );
  });
});
