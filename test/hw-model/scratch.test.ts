// The thread scratch window (address region 4): memory commands reach it like the
// packet and map values, handovers and to_host carry the bytes they name, and the
// timing model charges its commands to the unit memory.threadScratch names on the
// island of the core that issues them.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { executorFor, testParams, u32 } from "./helpers.ts";
import { TraceWriter, describeTrace } from "../../hw-model/exec/trace.ts";
import { LOCAL_MEMORY_POISON } from "../../hw-model/exec/executor.ts";
import { Region, REGION_SHIFT, scratchAddress } from "../../hw-model/exec/address.ts";
import { assemble, disassemble, loadPreset, simulate } from "../../hw-model/index.ts";

// a0 = the scratch address of byte `offset` (immed + immed_w1).
const scratchPointer = (reg: string, offset: number): string => `immed ${reg}, #${offset & 0xffff}\nimmed_w1 ${reg}, #${u32(scratchAddress(offset)) >>> 16}\n`;

const packetWords = (data: Uint8Array, count: number): number[] => Array.from({ length: count }, (_, i) => new DataView(data.buffer, data.byteOffset).getUint32(4 * i, false));

describe("thread scratch window (region 4)", () => {
  it("is region 4: the address carries the offset in its low bits", () => {
    expect(scratchAddress(0x1f0) >>> REGION_SHIFT).toBe(Region.SCRATCH);
    expect(u32(scratchAddress(0x1f0))).toBe(0x400001f0);
  });

  it("keeps what mem_wr wrote for mem_rd, 1 to 8 words, in either byte order", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 64 }), fc.boolean(), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 8, maxLength: 8 }), (words, slot, le, values) => {
        const offset = 4 * slot;
        const suffix = le ? ".le" : "";
        let src = scratchPointer("a0", offset);
        values.slice(0, words).forEach((v, i) => (src += `immed x${i}, #${v & 0xffff}\nimmed_w1 x${i}, #${v >>> 16}\n`));
        src += `mem_wr${suffix} x0, a0, #0, #${4 * words}, s0, swap\n`;
        // Read back into other transfer registers, then store them into the packet (big-endian words).
        src += `mem_rd${suffix} x8, a0, #0, #${4 * words}, s1, swap\ncsr_rd a14, data\nmem_wr x8, a14, #0, #${4 * words}, s2, swap\nverdict pass\n`;
        const result = executorFor([src]).runPacket({ data: new Uint8Array(64) });
        expect(result.outcome.kind).toBe("verdict");
        expect(packetWords(result.data, words)).toEqual(values.slice(0, words));
      }),
      { numRuns: 60 },
    );
  });

  it("stores little-endian words in memory order with .le (low byte first), as eBPF memory is", () => {
    const src = `${scratchPointer("a0", 8)}immed x0, #0x0201\nimmed_w1 x0, #0x0403\nmem_wr.le x0, a0, #0, #4, s0, swap\nmem_rd x1, a0, #0, #4, s1, swap\ncsr_rd a14, data\nmem_wr x1, a14, #0, #4, s2, swap\nverdict pass\n`;
    const result = executorFor([src]).runPacket({ data: new Uint8Array(64) });
    // Memory holds 01 02 03 04; a big-endian read sees 0x01020304.
    expect(packetWords(result.data, 1)).toEqual([0x01020304]);
  });

  it("faults a command that runs past the window, naming the window's size", () => {
    const last = testParams.scratchBytesPerThread - 4;
    const src = `${scratchPointer("a0", last)}mem_rd x0, a0, #0, #8, s0, swap\nverdict pass\n`;
    const result = executorFor([src]).runPacket({ data: new Uint8Array(64) });
    expect(result.outcome.kind).toBe("fault");
    if (result.outcome.kind === "fault") expect(result.outcome.message).toContain(`${testParams.scratchBytesPerThread}-byte scratch window`);
  });

  it("reads as poison where nothing wrote it in this packet", () => {
    const src = `${scratchPointer("a0", 40)}mem_rd x0, a0, #0, #4, s0, swap\ncsr_rd a14, data\nmem_wr x0, a14, #0, #4, s1, swap\nverdict pass\n`;
    const exec = executorFor([src]);
    const p = LOCAL_MEMORY_POISON;
    expect(packetWords(exec.runPacket({ data: new Uint8Array(64) }).data, 1)).toEqual([u32((p << 24) | (p << 16) | (p << 8) | p)]);
  });

  it("writes scratch commands to the trace as the thread-scratch target", () => {
    const src = `${scratchPointer("a0", 0)}immed x0, #7\nmem_wr x0, a0, #0, #4, s0, swap\nverdict drop\n`;
    const trace = new TraceWriter();
    executorFor([src]).runPacket({ data: new Uint8Array(64) }, trace);
    expect(describeTrace(trace.buf, trace.length)).toContain("mem write thread-scratch 4B s0");
  });

  it("carries the named scratch bytes over a handover and poisons the rest", () => {
    // Stage 0 writes words at 0 and 16, carries scratch 16..19 only; stage 1 reads both back into the packet.
    const stage0 = `${scratchPointer("a0", 0)}immed x0, #0x1111\nimmed x1, #0x2222\nmem_wr x0, a0, #0, #4, s0, swap\nmem_wr x1, a0, #16, #4, s1, swap\nhandover #1, #0x00000001, #0, #0, #16, #4\n`;
    const stage1 = `mem_rd x0, a0, #16, #4, s0, swap\nmem_rd x1, a0, #0, #4, s1, swap\ncsr_rd a14, data\nmem_wr x0, a14, #0, #8, s2, swap\nverdict pass\n`;
    const trace = new TraceWriter();
    const result = executorFor([stage0, stage1]).runPacket({ data: new Uint8Array(64) }, trace);
    const p = LOCAL_MEMORY_POISON;
    expect(packetWords(result.data, 2)).toEqual([0x2222, u32((p << 24) | (p << 16) | (p << 8) | p)]);
    // The ring entry: one register (4 bytes) + 4 scratch bytes + the descriptor.
    expect(describeTrace(trace.buf, trace.length).find((l) => l.startsWith("end handover"))).toContain(`${4 + 4 + testParams.ringDescriptorBytes}`);
  });

  it("hands the carried scratch bytes to the host with to_host", () => {
    const src = `${scratchPointer("a0", 0)}immed x0, #0x0201\nimmed_w1 x0, #0x0403\nmem_wr.le x0, a0, #8, #4, s0, swap\nto_host #0x00000000, #0, #0, #8, #4\n`;
    const result = executorFor([src]).runPacket({ data: new Uint8Array(64) });
    expect(result.outcome.kind).toBe("host");
    if (result.outcome.kind === "host") {
      expect(result.outcome.scratchOffset).toBe(8);
      expect([...result.outcome.scratch]).toEqual([1, 2, 3, 4]);
    }
  });

  it("round-trips the scratch carry through the assembler and disassembler", () => {
    const text = "handover #1, #0x00000003, #16, #32, #8, #24";
    const program = assemble(text);
    expect(disassemble(program)).toContain(text);
    expect(disassemble(assemble("to_host #0x00000000, #0, #16"))).toContain("to_host #0x00000000, #0, #16\n");
  });

  it("is timed as commands to the CLS of the issuing core's island (nfp-4000: memory.threadScratch.unit = cls)", () => {
    const preset = loadPreset("nfp-4000");
    expect(preset.memory.threadScratch.unit).toEqual(["cls"]);
    const src = `${scratchPointer("a0", 0)}immed x0, #1\nmem_wr x0, a0, #0, #4, s0, swap\nmem_rd x1, a0, #0, #4, s1, swap\nverdict drop\n`;
    // Core 12 is the first core of island 1 (12 cores per island).
    const image = { stages: [{ program: assemble(src), cores: [preset.topology.coresPerIsland] }], maps: [] };
    const r = simulate(preset, image, [{ data: new Uint8Array(64) }, { data: new Uint8Array(64) }]);
    const cls1 = r.units.find((u) => u.name === "cls1")!;
    const cls0 = r.units.find((u) => u.name === "cls0")!;
    expect(cls1.commands).toBe(4);
    expect(cls0.commands).toBe(0);
  });
});
