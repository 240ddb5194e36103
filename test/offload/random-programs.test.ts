// Generated XDP programs (the interpreter tests' generator: every ALU and JMP
// form, loads and stores of every width on the stack and the packet, atomics,
// map lookups/updates/deletes, direct map value access, helper calls, packet
// adjustments, bpf-to-bpf calls, bounded loops, tail calls, wild pointers):
// whatever the compiler offloads and whatever it leaves to the host, the
// packet's outcome (action or fault, output packet, perf events, every map
// entry) must be the interpreter's. Many of these programs are ones the
// verifier would refuse; the compiler must still never make them differ, except
// in what the calling convention leaves undefined: r1-r5 after a helper call
// (the firmware's calls clobber them), which the generator writes afterwards.
import fc from "fast-check";
import { describe, it } from "vitest";
import type { Program } from "../../src/ebpf/instruction.ts";
import { generatedProgramMaps, TAIL_PROGRAM, programArbitrary } from "../interp/compile-programs.ts";
import { compareOne, explainMismatch } from "./corpus.ts";
import { compileSingle } from "./harness.ts";

const packetArb = fc.uint8Array({ minLength: 14, maxLength: 120 });

describe("generated programs: NIC image vs interpreter", () => {
  it("agree on outcome, packet, events and maps (one stage, host exits where blocked)", () => {
    fc.assert(
      fc.property(programArbitrary("xdp", { definedAfterCalls: true }), fc.array(packetArb, { minLength: 1, maxLength: 3 }), (generated, packets) => {
        const program = generated.main;
        const maps = generatedProgramMaps({ tailProgram: true });
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
