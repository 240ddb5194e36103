// XdpPacketSession against a fresh runXdp per packet: one session (one frame,
// one machine) runs a sequence of different packets, and each result must be
// what runXdp on a fresh frame, with a second copy of the maps, gives for that
// packet: action or fault, the packet, metadata and data_out bytes, the step
// count, events and redirect, and the maps afterwards. What one packet leaves
// behind (headroom written after adjust_head, a grown tail, metadata, stack,
// events) must not reach the next. A failure prints the listing and the packets.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Program } from "../../src/ebpf/instruction.ts";
import { seededRandom } from "../../src/helpers/runtime.ts";
import { XdpPacketSession, runXdp, type XdpRunResult } from "../../src/xdp/index.ts";
import { canonical, hex, listing } from "../interp/compile-compare.ts";
import { generatedProgramMaps, programArbitrary } from "../interp/compile-programs.ts";


const outcome = (r: XdpRunResult): unknown => ({
  action: r.action,
  fault: r.fault ? { pc: r.fault.pc, kind: r.fault.kind, message: r.fault.message } : undefined,
  packetOut: r.packetOut,
  metadataOut: r.metadataOut,
  dataOut: r.dataOut,
  steps: r.steps,
  events: r.events,
  redirect: r.redirect,
});

const RX = { ingressIfindex: 3, rxQueueIndex: 0, egressIfindex: 0 };

// The first packet where the two differ, described; undefined when every packet and the maps agree.
function sessionDifference(program: Program, packets: readonly Uint8Array[], metadata: readonly Uint8Array[]): string | undefined {
  const sessionMaps = generatedProgramMaps();
  const freshRunMaps = generatedProgramMaps();
  const programsFor = (): Map<number, Program> => new Map([[1, program]]);
  const session = new XdpPacketSession(program, sessionMaps, { programs: programsFor(), random: seededRandom(5), rx: RX, maxSteps: 3000 });
  const random = seededRandom(5);
  const programs = programsFor();
  for (let i = 0; i < packets.length; i++) {
    const reused = canonical(outcome(session.run(packets[i], metadata[i])));
    const fresh = canonical(outcome(runXdp(program, packets[i], freshRunMaps, { programs, random, rx: RX, maxSteps: 3000, metadata: metadata[i], tier: "compiled" })));
    if (reused !== fresh) {
      const shown = packets.slice(0, i + 1).map((p, k) => `packet ${k}: ${hex(p)} metadata ${hex(metadata[k])}`).join("\n");
      return `packet ${i} differs\n${listing(program)}\n${shown}\nsession: ${reused}\nfresh: ${fresh}`;
    }
  }
  const reusedMaps = canonical(sessionMaps.map((m) => m.entries()));
  const freshMapsAfter = canonical(freshRunMaps.map((m) => m.entries()));
  return reusedMaps === freshMapsAfter ? undefined : `maps differ\n${listing(program)}\nsession: ${reusedMaps}\nfresh: ${freshMapsAfter}`;
}

const packetAndMetadata = fc.tuple(
  fc.uint8Array({ minLength: 14, maxLength: 200 }),
  fc.integer({ min: 0, max: 8 }).chain((words) => fc.uint8Array({ minLength: 4 * words, maxLength: 4 * words })),
);

describe("XdpPacketSession", () => {
  it("gives every packet of a sequence what a fresh runXdp gives it (generated programs, adjust_head/tail/meta, calls)", () => {
    fc.assert(
      fc.property(programArbitrary("xdp", { mapValues: false }), fc.array(packetAndMetadata, { minLength: 2, maxLength: 5 }), (generated, inputs) => {
        const difference = sessionDifference(generated.main, inputs.map(([p]) => p), inputs.map(([, m]) => m));
        if (difference !== undefined) throw new Error(difference);
      }),
      { numRuns: 300 },
    );
  });

  // r1 = ctx; r2 = -64; call bpf_xdp_adjust_head (44); r2 = data; r3 = data_end; if r2 + 64 > r3 exit 1;
  // r4 = *(u64 *)(r2 + 0); *(u64 *)(r2 + 0) = 0x1122334455667788; r0 = r4; exit.
  // The first 8 bytes of the grown head are headroom: zero on a fresh frame, whatever this program wrote last time on a reused one.
  const headroomReader: Program = [
    { opcode: 0xbf, dst: 6, src: 1, off: 0, imm: 0 },
    { opcode: 0xb7, dst: 2, src: 0, off: 0, imm: -64 },
    { opcode: 0x85, dst: 0, src: 0, off: 0, imm: 44 },
    { opcode: 0x61, dst: 2, src: 6, off: 0, imm: 0 },
    { opcode: 0x61, dst: 3, src: 6, off: 4, imm: 0 },
    { opcode: 0xbf, dst: 4, src: 2, off: 0, imm: 0 },
    { opcode: 0x07, dst: 4, src: 0, off: 0, imm: 64 },
    { opcode: 0x2d, dst: 4, src: 3, off: 6, imm: 0 },
    { opcode: 0x79, dst: 4, src: 2, off: 0, imm: 0 },
    { opcode: 0x18, dst: 5, src: 0, off: 0, imm: 0x55667788 },
    { opcode: 0x00, dst: 0, src: 0, off: 0, imm: 0x11223344 },
    { opcode: 0x7b, dst: 2, src: 5, off: 0, imm: 0 },
    { opcode: 0xbf, dst: 0, src: 4, off: 0, imm: 0 },
    { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    { opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 1 },
    { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
  ];

  it("hands each packet a zeroed headroom, whatever the packet before wrote there", () => {
    const session = new XdpPacketSession(headroomReader, []);
    const first = session.run(new Uint8Array(64).fill(0xee));
    const second = session.run(new Uint8Array(64).fill(0xdd));
    // The headroom of a fresh test-run frame is zero (net/bpf/test_run.c allocates it zeroed), so r0 = 0 both times.
    expect([first.action, second.action]).toEqual([0, 0]);
    // The program wrote the constant little-endian over the 8 bytes in front of the packet it was given.
    expect(hex(second.packetOut.subarray(0, 8))).toBe("8877665544332211");
    expect(second.packetOut.length).toBe(128);
    expect(Array.from(second.packetOut.subarray(64))).toEqual(new Array<number>(64).fill(0xdd));
  });
});
