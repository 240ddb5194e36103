// Generated XDP programs (the interpreter tests' generator: every ALU and JMP
// form, loads and stores of every width on the stack and the packet, atomics,
// map lookups/updates/deletes, direct map value access, helper calls, packet
// adjustments, bpf-to-bpf calls, bounded loops, tail calls, wild pointers):
// whatever the compiler offloads and whatever it leaves to the host, the
// packet's outcome (action or fault, output packet, perf events, every map
// entry) must be the interpreter's. Many of these programs are ones the
// verifier would refuse; the compiler must still never make them differ.
import fc from "fast-check";
import { describe, it } from "vitest";
import type { Program } from "../../src/ebpf/instruction.ts";
import type { SimMap } from "../../src/maps/index.ts";
import { generatedProgramMaps, programArbitrary } from "../interp/compile-programs.ts";
import { compareOne, explainMismatch } from "./corpus.ts";
import { compileSingle } from "./harness.ts";

// generatedProgramMaps() with slot 0 of the prog_array holding a small program (id 0).
function freshMaps(): SimMap[] {
  const maps = generatedProgramMaps();
  maps[2].sysUpdate(Uint8Array.of(0, 0, 0, 0), Uint8Array.of(0, 0, 0, 0), 0);
  return maps;
}

// r0 = the packet's first byte + r0 (when there is one): what the tail-called program does.
const TAIL_PROGRAM: Program = [
  { opcode: 0xbf, dst: 9, src: 1, off: 0, imm: 0 },
  { opcode: 0x61, dst: 2, src: 9, off: 0, imm: 0 },
  { opcode: 0x61, dst: 3, src: 9, off: 4, imm: 0 },
  { opcode: 0xbf, dst: 4, src: 2, off: 0, imm: 0 },
  { opcode: 0x07, dst: 4, src: 0, off: 0, imm: 1 },
  { opcode: 0x2d, dst: 4, src: 3, off: 2, imm: 0 },
  { opcode: 0x71, dst: 5, src: 2, off: 0, imm: 0 },
  { opcode: 0x0f, dst: 0, src: 5, off: 0, imm: 0 },
  { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
];

const packetArb = fc.uint8Array({ minLength: 14, maxLength: 120 });

describe("generated programs: NIC image vs interpreter", () => {
  it("agree on outcome, packet, events and maps (one stage, host exits where blocked)", () => {
    fc.assert(
      fc.property(programArbitrary("xdp"), fc.array(packetArb, { minLength: 1, maxLength: 3 }), (generated, packets) => {
        const program = generated.main;
        const maps = freshMaps();
        const image = compileSingle(program, maps.map((m) => m.def));
        const programs = new Map<number, Program>([
          [0, TAIL_PROGRAM],
          [1, program],
        ]);
        for (const packet of packets) {
          const cmp = compareOne(program, image, maps, packet, { programs });
          if (JSON.stringify(cmp.host) !== JSON.stringify(cmp.nic)) throw new Error(`host and NIC differ\n${explainMismatch(program, image, packet, cmp)}`);
        }
      }),
      { numRuns: Number(process.env.OFFLOAD_RUNS ?? 150) },
    );
  });
});
