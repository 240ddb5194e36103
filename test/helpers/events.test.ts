// Out-of-band output captured as events: ring buffer (reservation order,
// discards dropped, full ring), perf events with packet bytes appended,
// trace_printk formatting.
import { describe, expect, it } from "vitest";
import type { Insn } from "../../src/ebpf/instruction.ts";
import { AluOp, JmpOp, Size } from "../../src/ebpf/opcode.ts";
import { formatPrintk } from "../../src/helpers/printk.ts";
import { HelperId } from "../../src/helpers/prototypes.ts";
import { run } from "../../src/interp/index.ts";
import { createMap } from "../../src/maps/create.ts";
import { MapType } from "../../src/maps/types.ts";
import { runXdp } from "../../src/xdp/run-xdp.ts";
import { R, alu64Imm, callHelper, exit, jmpImm, lddw, ldMap, ldx, mov64, movReg, program, st, stx } from "../interp/program.ts";

const ringbuf = (bytes = 4096) => createMap({ name: "events", type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: bytes, flags: 0 });

// r<save> = ringbuf_reserve(map 0, size, 0); if NULL exit 0
const reserve = (save: number, size: number): Insn[] =>
  program(ldMap(R.r1, 0), mov64(R.r2, size), mov64(R.r3, 0), callHelper(HelperId.RINGBUF_RESERVE), movReg(save, R.r0), jmpImm(JmpOp.JNE, R.r0, 0, 2), mov64(R.r0, 0), exit());
const commit = (record: number, helper: number): Insn[] => program(movReg(R.r1, record), mov64(R.r2, 0), callHelper(helper));

describe("ring buffer", () => {
  it("emits submitted records in reservation order and drops discarded ones", () => {
    const slots = program(
      reserve(R.r6, 4),
      reserve(R.r7, 4),
      reserve(R.r8, 4),
      st(Size.W, R.r6, 0, 0x11),
      st(Size.W, R.r7, 0, 0x22),
      st(Size.W, R.r8, 0, 0x33),
      // submit the second first, discard the third, then submit the first
      commit(R.r7, HelperId.RINGBUF_SUBMIT),
      commit(R.r8, HelperId.RINGBUF_DISCARD),
      commit(R.r6, HelperId.RINGBUF_SUBMIT),
      mov64(R.r0, 1),
      exit(),
    );
    const result = run(slots, { maps: [ringbuf()] });
    expect(result.kind).toBe("exit");
    expect(result.events.map((e) => (e.kind === "ringbuf" ? Array.from(e.data) : e.kind))).toEqual([
      [0x11, 0, 0, 0],
      [0x22, 0, 0, 0],
    ]);
  });

  it("makes a record unreachable once submitted", () => {
    const slots = program(reserve(R.r6, 8), commit(R.r6, HelperId.RINGBUF_SUBMIT), ldx(Size.B, R.r0, R.r6, 0), exit());
    expect(run(slots, { maps: [ringbuf()] })).toMatchObject({ kind: "fault", fault: { kind: "memory", reason: "unmapped" } });
  });

  it("faults when submit is given something that was not reserved", () => {
    const slots = program(movReg(R.r6, R.r10), alu64Imm(AluOp.ADD, R.r6, -8), commit(R.r6, HelperId.RINGBUF_SUBMIT), exit());
    expect(run(slots, { maps: [ringbuf()] })).toMatchObject({ kind: "fault", fault: { kind: "helper", helperId: HelperId.RINGBUF_SUBMIT } });
  });

  it("copies ringbuf_output data into an event and returns 0", () => {
    const slots = program(lddw(R.r1, 0x0807_0605_0403_0201n), stx(Size.DW, R.r10, R.r1, -8), ldMap(R.r1, 0), movReg(R.r2, R.r10), alu64Imm(AluOp.ADD, R.r2, -8), mov64(R.r3, 8), mov64(R.r4, 0), callHelper(HelperId.RINGBUF_OUTPUT), exit());
    const result = run(slots, { maps: [ringbuf()] });
    expect(result).toMatchObject({ kind: "exit", r0: 0n });
    expect(result.events).toEqual([{ kind: "ringbuf", pc: 9, map: "events", data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }]);
  });

  it("returns NULL when the record does not fit: a 4096-byte ring holds at most 4095 bytes ahead", () => {
    // 8-byte header + 4088 bytes of data = 4096 > 4095
    const slots = program(ldMap(R.r1, 0), mov64(R.r2, 4088), mov64(R.r3, 0), callHelper(HelperId.RINGBUF_RESERVE), exit());
    expect(run(slots, { maps: [ringbuf()] })).toMatchObject({ kind: "exit", r0: 0n, events: [] });
  });
});

describe("perf_event_output", () => {
  it("sends the data followed by the number of packet bytes the flags ask for", () => {
    const perf = createMap({ name: "perf", type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 });
    expect(perf.sysUpdate(new Uint8Array(4), Uint8Array.of(9, 0, 0, 0), 0)).toBe(0);
    // flags = BPF_F_CURRENT_CPU | (3 << 32): three packet bytes after the 2-byte sample
    const slots = program(
      st(Size.H, R.r10, -2, 0x0b0a),
      ldMap(R.r2, 0),
      lddw(R.r3, 0xffff_ffffn | (3n << 32n)),
      movReg(R.r4, R.r10),
      alu64Imm(AluOp.ADD, R.r4, -2),
      mov64(R.r5, 2),
      callHelper(HelperId.PERF_EVENT_OUTPUT),
      exit(),
    );
    const out = runXdp(slots, Uint8Array.of(0xc0, 0xc1, 0xc2, 0xc3), [perf]);
    expect(out.action).toBe(0);
    expect(out.events).toEqual([{ kind: "perf-event", pc: 8, map: "perf", cpu: 0, data: Uint8Array.of(0x0a, 0x0b, 0xc0, 0xc1, 0xc2) }]);
  });

  it("returns -EFAULT when more packet bytes are asked for than the packet has", () => {
    const perf = createMap({ name: "perf", type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 });
    const slots = program(ldMap(R.r2, 0), lddw(R.r3, 0xffff_ffffn | (5n << 32n)), movReg(R.r4, R.r10), alu64Imm(AluOp.ADD, R.r4, -8), mov64(R.r5, 0), callHelper(HelperId.PERF_EVENT_OUTPUT), exit());
    const out = runXdp(slots, Uint8Array.of(1, 2, 3, 4), [perf]);
    expect(out.result).toMatchObject({ kind: "exit", r0: BigInt.asUintN(64, -14n) });
    expect(out.events).toEqual([]);
  });
});

describe("trace_printk", () => {
  const read = (): string => "str";

  it("formats integers in their C widths", () => {
    expect(formatPrintk("%d %u %x %lld %llx", [BigInt.asUintN(64, -1n), BigInt.asUintN(64, -1n), 255n], read)).toBeUndefined();
    expect(formatPrintk("%d %u %x", [BigInt.asUintN(64, -1n), BigInt.asUintN(64, -1n), 255n], read)).toBe("-1 4294967295 ff");
    expect(formatPrintk("%lld %llu %llx", [BigInt.asUintN(64, -2n), 1n << 40n, 0xabcn], read)).toBe("-2 1099511627776 abc");
  });

  it("supports width, zero padding, %c, %s and %%", () => {
    expect(formatPrintk("[%5d|%-3x|%04x] %c %s 100%%", [42n, 10n, 7n], read)).toBeUndefined();
    expect(formatPrintk("[%5d|%-3x|%04x]", [42n, 10n, 7n], read)).toBe("[   42|a  |0007]");
    expect(formatPrintk("%c %s 100%%", [65n, 0n], read)).toBe("A str 100%");
  });

  it("refuses an unknown conversion", () => {
    expect(formatPrintk("%q", [1n], read)).toBeUndefined();
  });

  it("captures the text and returns its length", () => {
    // "n=%d\0" on the stack: 6e 3d 25 64 00
    const slots = program(lddw(R.r1, 0x0064_253d_6en), stx(Size.DW, R.r10, R.r1, -8), movReg(R.r1, R.r10), alu64Imm(AluOp.ADD, R.r1, -8), mov64(R.r2, 5), mov64(R.r3, 7), callHelper(HelperId.TRACE_PRINTK), exit());
    expect(run(slots)).toMatchObject({ kind: "exit", r0: 3n, events: [{ kind: "trace-printk", pc: 7, text: "n=7" }] });
  });
});
