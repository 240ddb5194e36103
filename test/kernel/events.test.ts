// Reading events back from the kernel: bpf_perf_event_output through a perf
// buffer (one BPF-output perf event per CPU stored in the perf event array),
// and bpf_ringbuf_output from the ring buffer map's mmapped pages. The
// expected bytes are the program's own (its stack, the packet's first bytes),
// written out by hand below; the padding rule is perf_prepare_sample's
// (kernel/events/core.c: raw size = round_up(bytes + 4, 8) - 4).
import { describe, expect, it } from "vitest";
import { LDDW } from "../../src/ebpf/opcode.ts";
import { insn, type Insn } from "../../src/ebpf/instruction.ts";
import { withKernel } from "../../src/kernel/index.ts";
import { MapType, type MapDef } from "../../src/maps/types.ts";
import { kernelAvailable } from "./kernel-gate.ts";
import { addImm, callHelper, exit, ldMap, movImm, movReg, store } from "./hand-asm.ts";

// enum bpf_func_id.
const PERF_EVENT_OUTPUT = 25;
const RINGBUF_OUTPUT = 130;
const XDP_PASS = 2;
// BPF_F_CURRENT_CPU (the low 32 bits) and 14 packet bytes appended (BPF_F_CTXLEN_MASK, bits 32..51).
const PACKET_BYTES = 14;
const PERF_FLAGS = (BigInt(PACKET_BYTES) << 32n) | 0xffffffffn;
const STACK_BYTES = 5;

const lddw = (dst: number, value: bigint): Insn[] => [insn(LDDW, dst, 0, 0, Number(BigInt.asIntN(32, value))), insn(0, 0, 0, 0, Number(BigInt.asIntN(32, value >> 32n)))];

// Stores 0x8877665544332211 at r10-8 (bytes 11 22 33 44 55 66 77 88), sends its first 5 bytes plus the
// packet's first 14 to map #0 (perf) and the same 5 bytes to map #1 (ring buffer); returns XDP_PASS.
const emitter: Insn[] = [
  movReg(6, 1),
  ...lddw(1, 0x8877665544332211n),
  store("dw", 10, -8, 1),
  movReg(1, 6),
  ...ldMap(2, 0),
  ...lddw(3, PERF_FLAGS),
  movReg(4, 10),
  addImm(4, -8),
  movImm(5, STACK_BYTES),
  callHelper(PERF_EVENT_OUTPUT),
  ...ldMap(1, 1),
  movReg(2, 10),
  addImm(2, -8),
  movImm(3, STACK_BYTES),
  movImm(4, 0),
  callHelper(RINGBUF_OUTPUT),
  movImm(0, XDP_PASS),
  exit(),
];

const frame = new Uint8Array([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00, ...Array.from({ length: 46 }, (_, i) => i)]);
const stackBytes = [0x11, 0x22, 0x33, 0x44, 0x55];

describe.skipIf(!kernelAvailable)("events read back from the kernel", () => {
  it("a perf buffer sees bpf_perf_event_output's bytes on the CPU the test run was pinned to; the ring buffer its record", async () => {
    await withKernel((k) => {
      const perfDef: MapDef = { name: "events", type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: k.cpuCount, flags: 0 };
      const rbDef: MapDef = { name: "rb", type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 };
      const perf = k.createMap(perfDef);
      const rb = k.createMap(rbDef);
      const program = k.loadProgram({ program: emitter, mapFds: [perf.fd, rb.fd], name: "emitter", license: "GPL" });
      const buffer = k.openPerfBuffer(perf);
      const ring = k.openRingbuf(rb);
      for (let run = 0; run < 2; run++) {
        const result = k.onCpu(0, () => k.testRunXdp(program, { packet: frame }));
        expect(result.retval).toBe(XDP_PASS);
      }
      const samples = k.readPerfBuffer(buffer);
      const expected = [...stackBytes, ...frame.subarray(0, PACKET_BYTES)];
      // 19 bytes out, reported as 20: round_up(19 + 4, 8) - 4.
      expect(samples.map((s) => (s.kind === "sample" ? [s.cpu, s.data.length, [...s.data.subarray(0, expected.length)]] : s))).toEqual([
        [0, 20, expected],
        [0, 20, expected],
      ]);
      // Read once: the tail moved past them.
      expect(k.readPerfBuffer(buffer)).toEqual([]);
      expect(k.ringbufRecords(ring).map((r) => [...r])).toEqual([stackBytes, stackBytes]);
    });
  });

  it("a ring buffer nothing was written to has no records; a perf buffer needs a perf event array", async () => {
    await withKernel((k) => {
      const rb = k.createMap({ name: "rb", type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 });
      expect(k.ringbufRecords(k.openRingbuf(rb))).toEqual([]);
      const array = k.createMap({ name: "plain", type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 });
      expect(() => k.openPerfBuffer(array)).toThrow(/map 'plain' is not a perf event array/);
    });
  });
});
