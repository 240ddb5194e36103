// Map helpers and the redirect helpers, with return values from
// kernel/bpf/helpers.c and net/core/filter.c (__bpf_xdp_redirect_map).
import { describe, expect, it } from "vitest";
import type { Insn } from "../../src/ebpf/instruction.ts";
import { AluOp, Size } from "../../src/ebpf/opcode.ts";
import { HelperId } from "../../src/helpers/prototypes.ts";
import { run } from "../../src/interp/index.ts";
import { createMap } from "../../src/maps/create.ts";
import { MapType, type BpfMap } from "../../src/maps/types.ts";
import { runXdp } from "../../src/xdp/run-xdp.ts";
import { XdpAction } from "../../src/xdp/layout.ts";
import { R, alu64Imm, alu64Reg, callHelper, exit, lddw, ldMap, ldx, mov64, movReg, program, st, stx } from "../interp/program.ts";

const ENOENT = BigInt.asUintN(64, -2n);
const EEXIST = BigInt.asUintN(64, -17n);

// r2 = &key (u32 at r10-4), r3 = &value (u64 at r10-16)
const keyValue = (key: number, value: bigint): Insn[] =>
  program(st(Size.W, R.r10, -4, key), lddw(R.r1, value), stx(Size.DW, R.r10, R.r1, -16), movReg(R.r2, R.r10), alu64Imm(AluOp.ADD, R.r2, -4), movReg(R.r3, R.r10), alu64Imm(AluOp.ADD, R.r3, -16));

describe("map helpers", () => {
  const hash = (): BpfMap => createMap({ name: "table", type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 8, flags: 0 });

  it("update then lookup reads the stored value through the returned pointer", () => {
    const slots = program(keyValue(5, 0x1234n), ldMap(R.r1, 0), mov64(R.r4, 0), callHelper(HelperId.MAP_UPDATE_ELEM), ldMap(R.r1, 0), callHelper(HelperId.MAP_LOOKUP_ELEM), ldx(Size.DW, R.r0, R.r0, 0), exit());
    expect(run(slots, { maps: [hash()] })).toMatchObject({ kind: "exit", r0: 0x1234n });
  });

  it("lookup of a missing key returns NULL", () => {
    const slots = program(keyValue(5, 0n), ldMap(R.r1, 0), callHelper(HelperId.MAP_LOOKUP_ELEM), exit());
    expect(run(slots, { maps: [hash()] })).toMatchObject({ kind: "exit", r0: 0n });
  });

  it("BPF_NOEXIST on an existing key is -EEXIST; delete of a missing key is -ENOENT", () => {
    const map = hash();
    const insert = program(keyValue(1, 1n), ldMap(R.r1, 0), mov64(R.r4, 1), callHelper(HelperId.MAP_UPDATE_ELEM), exit());
    expect(run(insert, { maps: [map] })).toMatchObject({ r0: 0n });
    expect(run(insert, { maps: [map] })).toMatchObject({ r0: EEXIST });
    const remove = program(keyValue(2, 0n), ldMap(R.r1, 0), callHelper(HelperId.MAP_DELETE_ELEM), exit());
    expect(run(remove, { maps: [map] })).toMatchObject({ r0: ENOENT });
  });

  it("push, peek and pop a queue in FIFO order", () => {
    const queue = createMap({ name: "q", type: MapType.QUEUE, keySize: 0, valueSize: 8, maxEntries: 4, flags: 0 });
    const push = (value: bigint) => program(lddw(R.r1, value), stx(Size.DW, R.r10, R.r1, -8), ldMap(R.r1, 0), movReg(R.r2, R.r10), alu64Imm(AluOp.ADD, R.r2, -8), mov64(R.r3, 0), callHelper(HelperId.MAP_PUSH_ELEM));
    const take = (helper: number) => program(ldMap(R.r1, 0), movReg(R.r2, R.r10), alu64Imm(AluOp.ADD, R.r2, -16), callHelper(helper), ldx(Size.DW, R.r0, R.r10, -16));
    const slots = program(push(10n), push(20n), take(HelperId.MAP_PEEK_ELEM), movReg(R.r6, R.r0), take(HelperId.MAP_POP_ELEM), take(HelperId.MAP_POP_ELEM), alu64Imm(AluOp.MUL, R.r6, 100), alu64Reg(AluOp.ADD, R.r0, R.r6), exit());
    // peek 10, pop 10, pop 20: r0 = 20 + 10 * 100
    expect(run(slots, { maps: [queue] })).toMatchObject({ kind: "exit", r0: 1020n });
  });

  it("pop on an empty queue returns -ENOENT", () => {
    const queue = createMap({ name: "q", type: MapType.QUEUE, keySize: 0, valueSize: 8, maxEntries: 4, flags: 0 });
    const slots = program(ldMap(R.r1, 0), movReg(R.r2, R.r10), alu64Imm(AluOp.ADD, R.r2, -8), callHelper(HelperId.MAP_POP_ELEM), exit());
    expect(run(slots, { maps: [queue] })).toMatchObject({ r0: ENOENT });
  });

  it("per-CPU lookups see the slot of the CPU the program runs on", () => {
    const percpu = createMap({ name: "pc", type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 }, { cpus: 2 });
    const bump = program(st(Size.W, R.r10, -4, 0), ldMap(R.r1, 0), movReg(R.r2, R.r10), alu64Imm(AluOp.ADD, R.r2, -4), callHelper(HelperId.MAP_LOOKUP_ELEM), st(Size.DW, R.r0, 0, 77), mov64(R.r0, 0), exit());
    run(bump, { maps: [percpu], cpu: 1 });
    const read = (cpu: number) => new DataView(percpu.lookup(new Uint8Array(4), cpu)!.buffer, percpu.lookup(new Uint8Array(4), cpu)!.byteOffset).getBigUint64(0, true);
    expect([read(0), read(1)]).toEqual([0n, 77n]);
  });
});

describe("bpf_redirect", () => {
  it("records the ifindex and returns XDP_REDIRECT", () => {
    const out = runXdp(program(mov64(R.r1, 5), mov64(R.r2, 0), callHelper(HelperId.REDIRECT), exit()), new Uint8Array(64));
    expect(out.action).toBe(XdpAction.REDIRECT);
    expect(out.redirect).toEqual({ kind: "ifindex", ifindex: 5 });
  });

  it("returns XDP_ABORTED for any flag", () => {
    expect(runXdp(program(mov64(R.r1, 5), mov64(R.r2, 1), callHelper(HelperId.REDIRECT), exit()), new Uint8Array(64)).action).toBe(XdpAction.ABORTED);
  });
});

describe("bpf_redirect_map", () => {
  const devmap = (): BpfMap => {
    const map = createMap({ name: "tx_ports", type: MapType.DEVMAP, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 });
    expect(map.sysUpdate!(Uint8Array.of(1, 0, 0, 0), Uint8Array.of(7, 0, 0, 0), 0)).toBe(0);
    return map;
  };
  const redirectMap = (key: number, flags: number) => program(ldMap(R.r1, 0), mov64(R.r2, key), mov64(R.r3, flags), callHelper(HelperId.REDIRECT_MAP), exit());

  it("returns XDP_REDIRECT and records the device of a filled slot", () => {
    const out = runXdp(redirectMap(1, 0), new Uint8Array(64), [devmap()]);
    expect(out.action).toBe(XdpAction.REDIRECT);
    expect(out.redirect).toMatchObject({ kind: "map", map: "tx_ports", key: 1, target: { kind: "device", ifindex: 7 } });
  });

  it("returns the fallback action in the low flag bits for an empty slot", () => {
    const out = runXdp(redirectMap(2, XdpAction.PASS), new Uint8Array(64), [devmap()]);
    expect(out.action).toBe(XdpAction.PASS);
    expect(out.redirect).toBeUndefined();
  });

  it("returns XDP_ABORTED for flags outside the action bits and the devmap flags", () => {
    expect(runXdp(redirectMap(1, 1 << 5), new Uint8Array(64), [devmap()]).action).toBe(XdpAction.ABORTED);
  });

  it("redirects with BPF_F_BROADCAST even to an empty slot", () => {
    const out = runXdp(redirectMap(3, 1 << 3), new Uint8Array(64), [devmap()]);
    expect(out.action).toBe(XdpAction.REDIRECT);
    expect(out.redirect).toMatchObject({ broadcast: true, excludeIngress: false });
  });
});
