// The memory model: every access is checked against its region, and a refused
// access ends the run with a fault naming the pc, address, size and region.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AluOp, JmpOp, Size } from "../../src/ebpf/opcode.ts";
import { HelperId } from "../../src/helpers/prototypes.ts";
import { Segment, run, segmentBase, type RunResult } from "../../src/interp/index.ts";
import { createMap } from "../../src/maps/create.ts";
import { MapFlag } from "../../src/maps/flags.ts";
import { MapType, type MapDef } from "../../src/maps/types.ts";
import { createXdpBuffer } from "../../src/xdp/buffer.ts";
import { XdpMdOffset } from "../../src/xdp/context.ts";
import { R, alu64Imm, alu64Reg, callHelper, exit, jmpReg, lddw, ldMap, ldx, mov64, movReg, program, st, stx } from "./program.ts";

const STACK_TOP = segmentBase(Segment.STACK) + 512n;

function expectFault(result: RunResult): Extract<RunResult, { kind: "fault" }>["fault"] {
  if (result.kind !== "fault") throw new Error(`expected a fault, got r0 = ${result.r0}`);
  return result.fault;
}

describe("stack", () => {
  it("allows the 512 bytes below r10", () => {
    const result = run(program(st(Size.DW, R.r10, -512, 7), ldx(Size.DW, R.r0, R.r10, -512), exit()));
    expect(result).toMatchObject({ kind: "exit", r0: 7n });
  });

  it("faults one byte below the stack, naming pc, address, size and region", () => {
    const fault = expectFault(run(program(mov64(R.r0, 0), st(Size.B, R.r10, -513, 1), exit())));
    expect(fault).toMatchObject({ kind: "memory", pc: 1, address: STACK_TOP - 513n, size: 1, access: "write", region: "stack", reason: "out-of-bounds" });
  });

  it("faults on an 8-byte load that starts inside but ends past r10", () => {
    const fault = expectFault(run(program(ldx(Size.DW, R.r0, R.r10, -4), exit())));
    expect(fault).toMatchObject({ kind: "memory", pc: 0, address: STACK_TOP - 4n, size: 8, region: "stack", reason: "out-of-bounds" });
  });

  it("refuses writes to r10 as an invalid instruction", () => {
    expect(expectFault(run(program(mov64(R.r10, 0), exit())))).toMatchObject({ kind: "invalid-instruction", pc: 0 });
  });
});

describe("stray pointers", () => {
  it("dereferencing NULL faults as unmapped", () => {
    const fault = expectFault(run(program(mov64(R.r1, 0), ldx(Size.W, R.r0, R.r1, 0), exit())));
    expect(fault).toMatchObject({ kind: "memory", pc: 1, address: 0n, size: 4, region: undefined, reason: "unmapped" });
  });

  it("random loads through random pointers fault or read, never throw", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.constantFrom(Size.B, Size.H, Size.W, Size.DW), (address, size) => {
        const slots = program(lddw(R.r1, address), ldx(size, R.r0, R.r1, 0), exit());
        const result = run(slots, { input: { kind: "xdp", buffer: createXdpBuffer(new Uint8Array(64)) } });
        if (result.kind === "fault") expect(result.fault).toMatchObject({ kind: "memory", pc: 2, address });
      }),
      { numRuns: 300 },
    );
  });
});

describe("XDP context and packet", () => {
  const packet = Uint8Array.from({ length: 64 }, (_, i) => i);
  const xdp = () => ({ input: { kind: "xdp", buffer: createXdpBuffer(packet) } as const });
  // r2 = ctx->data, r3 = ctx->data_end
  const pointers = [ldx(Size.W, R.r2, R.r1, XdpMdOffset.DATA), ldx(Size.W, R.r3, R.r1, XdpMdOffset.DATA_END)];

  it("ctx->data_end - ctx->data is the packet length", () => {
    const result = run(program(pointers, movReg(R.r0, R.r3), alu64Reg(AluOp.SUB, R.r0, R.r2), exit()), xdp());
    expect(result).toMatchObject({ kind: "exit", r0: 64n });
  });

  it("reads packet bytes through ctx->data", () => {
    const result = run(program(pointers, ldx(Size.B, R.r0, R.r2, 10), exit()), xdp());
    expect(result).toMatchObject({ kind: "exit", r0: 10n });
  });

  it("faults on the byte at data_end", () => {
    const fault = expectFault(run(program(pointers, ldx(Size.B, R.r0, R.r3, 0), exit()), xdp()));
    expect(fault).toMatchObject({ kind: "memory", pc: 2, size: 1, region: "packet", reason: "out-of-bounds" });
  });

  it("faults on the headroom byte just before data when there is no metadata", () => {
    const fault = expectFault(run(program(pointers, ldx(Size.B, R.r0, R.r2, -1), exit()), xdp()));
    expect(fault).toMatchObject({ kind: "memory", pc: 2, region: "packet", reason: "out-of-bounds" });
  });

  it("makes the headroom readable once adjust_head moves data back", () => {
    const slots = program(
      movReg(R.r6, R.r1),
      mov64(R.r2, -4),
      callHelper(HelperId.XDP_ADJUST_HEAD),
      ldx(Size.W, R.r2, R.r6, XdpMdOffset.DATA),
      st(Size.B, R.r2, 0, 0x5a),
      ldx(Size.B, R.r0, R.r2, 0),
      exit(),
    );
    expect(run(slots, xdp())).toMatchObject({ kind: "exit", r0: 0x5an });
  });

  it("refuses writes to the context", () => {
    expect(expectFault(run(program(st(Size.W, R.r1, 0, 1), exit()), xdp()))).toMatchObject({ kind: "memory", region: "context", reason: "read-only" });
  });

  it("refuses context loads that are not aligned 4-byte field reads", () => {
    expect(expectFault(run(program(ldx(Size.DW, R.r0, R.r1, 0), exit()), xdp()))).toMatchObject({ kind: "memory", region: "context", reason: "context-field" });
  });

  it("reports the receive queue: loopback ifindex 1, queue 0 by default", () => {
    const slots = program(ldx(Size.W, R.r0, R.r1, XdpMdOffset.INGRESS_IFINDEX), ldx(Size.W, R.r2, R.r1, XdpMdOffset.RX_QUEUE_INDEX), alu64Reg(AluOp.ADD, R.r0, R.r2), exit());
    expect(run(slots, xdp())).toMatchObject({ kind: "exit", r0: 1n });
  });
});

describe("map values", () => {
  const def = (flags = 0): MapDef => ({ name: "counters", type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags });
  // r0 = lookup(map 0, key 2); if NULL exit
  const lookupKey2 = program(st(Size.W, R.r10, -4, 2), ldMap(R.r1, 0), movReg(R.r2, R.r10), alu64Imm(AluOp.ADD, R.r2, -4), callHelper(HelperId.MAP_LOOKUP_ELEM));

  it("hands out a live pointer: a store through it changes the map", () => {
    const map = createMap(def());
    const result = run(program(lookupKey2, st(Size.DW, R.r0, 0, 41), mov64(R.r0, 0), exit()), { maps: [map] });
    expect(result.kind).toBe("exit");
    const key = Uint8Array.of(2, 0, 0, 0);
    expect(new DataView(map.lookup(key, 0)!.buffer, map.lookup(key, 0)!.byteOffset).getBigUint64(0, true)).toBe(41n);
  });

  it("gives the same pointer for the same element twice", () => {
    const slots = program(lookupKey2, movReg(R.r6, R.r0), lookupKey2, movReg(R.r1, R.r0), mov64(R.r0, 1), jmpReg(JmpOp.JEQ, R.r1, R.r6, 1), mov64(R.r0, 0), exit());
    expect(run(slots, { maps: [createMap(def())] })).toMatchObject({ kind: "exit", r0: 1n });
  });

  it("faults on the byte after the value", () => {
    const fault = expectFault(run(program(lookupKey2, ldx(Size.B, R.r1, R.r0, 8), exit()), { maps: [createMap(def())] }));
    expect(fault).toMatchObject({ kind: "memory", pc: 6, size: 1, region: "map-value", reason: "out-of-bounds" });
  });

  it("refuses program writes to a BPF_F_RDONLY_PROG map", () => {
    const fault = expectFault(run(program(lookupKey2, st(Size.DW, R.r0, 0, 1), exit()), { maps: [createMap(def(MapFlag.RDONLY_PROG))] }));
    expect(fault).toMatchObject({ kind: "memory", region: "map-value", reason: "read-only" });
  });

  it("faults when the map handle itself is dereferenced", () => {
    const fault = expectFault(run(program(ldMap(R.r1, 0), ldx(Size.W, R.r0, R.r1, 0), exit()), { maps: [createMap(def())] }));
    expect(fault).toMatchObject({ kind: "memory", region: "map", reason: "out-of-bounds" });
  });

  it("stores a register through a pointer read back from the stack (spill and fill)", () => {
    const slots = program(lookupKey2, stx(Size.DW, R.r10, R.r0, -16), ldx(Size.DW, R.r3, R.r10, -16), st(Size.B, R.r3, 7, 9), ldx(Size.B, R.r0, R.r3, 7), exit());
    expect(run(slots, { maps: [createMap(def())] })).toMatchObject({ kind: "exit", r0: 9n });
  });
});
