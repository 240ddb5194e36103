// The compiled tier against the reference interpreter on generated programs:
// every result field (r0 or the fault with its pc, kind and message, the
// instruction count, events, redirect), every register (stored to memory or
// folded into r0), the input memory or packet and the maps must be the same.
// A failure prints the program as a listing and the input as hex.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Insn, Program } from "../../src/ebpf/instruction.ts";
import { runCompiled } from "../../src/interp/compile.ts";
import { compiledProgram } from "../../src/interp/compile-program.ts";
import type { SimMap } from "../../src/maps/types.ts";
import { createXdpBuffer, metadataBytes, packetBytes } from "../../src/xdp/buffer.ts";
import { hex, tierDifference, type TierSetup } from "./compile-compare.ts";
import { anySlot, generatedProgramMaps, TAIL_PROGRAM, INPUT_BYTES, programArbitrary, type GeneratedProgram } from "./compile-programs.ts";

const mapEffects = (maps: readonly SimMap[]): unknown => maps.map((map) => map.entries());

const maxSteps = fc.constantFrom(1, 3, 10, 25, 60, 150, 400, 5000);

function memorySetup(input: Uint8Array): () => TierSetup {
  return () => {
    const bytes = input.slice();
    const maps = generatedProgramMaps({ tailProgram: true });
    return { env: { maps, input: { kind: "memory", bytes } }, effects: () => ({ memory: bytes, maps: mapEffects(maps) }), inputHex: hex(input) };
  };
}

function xdpSetup(packet: Uint8Array, program: Program): () => TierSetup {
  return () => {
    const buffer = createXdpBuffer(packet);
    const maps = generatedProgramMaps({ tailProgram: true });
    const programs = new Map<number, Program>([
      [0, TAIL_PROGRAM],
      [1, program],
    ]);
    return {
      env: { maps, programs, input: { kind: "xdp", buffer } },
      effects: () => ({ packet: packetBytes(buffer), metadata: metadataBytes(buffer), frame: buffer.frame, offsets: [buffer.dataMeta, buffer.data, buffer.dataEnd], maps: mapEffects(maps) }),
      inputHex: hex(packet),
    };
  };
}

const check = (difference: string | undefined): void => {
  if (difference !== undefined) throw new Error(difference);
};

describe("compiled tier vs reference interpreter: generated programs", () => {
  it("agrees on programs over input memory (ALU, jumps, memory, atomics, maps, calls, loops, budget)", () => {
    fc.assert(
      fc.property(programArbitrary("memory"), fc.uint8Array({ minLength: INPUT_BYTES, maxLength: INPUT_BYTES }), maxSteps, (generated: GeneratedProgram, input, steps) => {
        check(tierDifference(generated.main, memorySetup(input), { maxSteps: steps }));
      }),
      { numRuns: 700 },
    );
  });

  it("agrees on XDP programs (packet access, adjust_head/tail/meta, redirect, tail calls, context)", () => {
    fc.assert(
      fc.property(programArbitrary("xdp"), fc.uint8Array({ minLength: 14, maxLength: 120 }), maxSteps, (generated, packet, steps) => {
        check(tierDifference(generated.main, xdpSetup(packet, generated.main), { maxSteps: steps }));
      }),
      { numRuns: 500 },
    );
  });

  it("agrees on arbitrary slots, valid or not (refusals, wild jumps, runaway loops)", () => {
    fc.assert(
      fc.property(fc.array(anySlot, { minLength: 1, maxLength: 24 }), fc.uint8Array({ minLength: 0, maxLength: 64 }), fc.boolean(), maxSteps, (slots: Insn[], bytes, xdp, steps) => {
        const setup = xdp ? xdpSetup(bytes.length >= 14 ? bytes : new Uint8Array(14), slots) : memorySetup(bytes);
        check(tierDifference(slots, setup, { maxSteps: steps }));
      }),
      { numRuns: 1200 },
    );
  });
});

describe("compiled tier: instruction budget", () => {
  // r0 = 0; r1 = 0; then forever: r0 += 1; r1 += 2; goto -3.
  const loop: Program = [
    { opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 0 },
    { opcode: 0xb7, dst: 1, src: 0, off: 0, imm: 0 },
    { opcode: 0x07, dst: 0, src: 0, off: 0, imm: 1 },
    { opcode: 0x07, dst: 1, src: 0, off: 0, imm: 2 },
    { opcode: 0x05, dst: 0, src: 0, off: -3, imm: 0 },
  ];

  it("stops a runaway loop at the instruction a hand count gives, for every budget", () => {
    for (let budget = 0; budget <= 40; budget++) {
      // The first two instructions are pcs 0 and 1; then the loop repeats pcs 2, 3, 4.
      const expectedPc = budget < 2 ? budget : 2 + ((budget - 2) % 3);
      const result = runCompiled(loop, {}, { maxSteps: budget });
      expect(result.kind === "fault" && result.fault.kind, `budget ${budget}`).toBe("budget");
      if (result.kind !== "fault") continue;
      expect(result.pc, `budget ${budget}`).toBe(expectedPc);
      expect(result.steps, `budget ${budget}`).toBe(budget);
    }
  });
});

describe("compiled tier: compilation cache", () => {
  it("compiles a program once and reuses it for every later run", () => {
    const program: Program = [
      { opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 2 },
      { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    ];
    expect(compiledProgram(program)).toBe(compiledProgram(program));
    expect(compiledProgram([...program])).not.toBe(compiledProgram(program));
  });
});
