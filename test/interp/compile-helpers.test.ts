// The helper calls the compiled tier answers itself (compile-helpers.ts:
// map lookup/update/delete, the clocks, the random source, the CPU number)
// against the reference interpreter, which calls src/helpers for them.
// Generated programs call these helpers with arguments at and beyond the
// edges of what the fast path accepts: every map kind it reaches, keys and
// values on the stack, in the input or packet and straddling their ends, map
// handles that are not quite handles, inner maps' handles from maps of maps, flags beyond 32 bits, clocks beyond
// 2^53 ns, a helper table that replaces a helper; in XDP runs the adjust
// helpers, bpf_redirect, bpf_redirect_map and bpf_tail_call with a context
// that is not quite the context, empty and unloaded slots and flags at every
// edge. Both tiers must agree on
// the result, every register (folded into r0), memory and every map's
// contents. A failure prints the listing and the input as hex.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { insn, type Insn } from "../../src/ebpf/instruction.ts";
import { AluOp, AtomicOp, Class, JmpOp, LDDW, Mode, PseudoCall, PseudoLd, Size, Source } from "../../src/ebpf/opcode.ts";
import { parseRouteTable } from "../../src/helpers/fib.ts";
import { helperImplementations } from "../../src/helpers/implementations.ts";
import { HelperId } from "../../src/helpers/prototypes.ts";
import { DEFAULT_CLOCK, returns, type HelperImplementation, type SimClock } from "../../src/helpers/runtime.ts";
import type { RunEnv } from "../../src/interp/env.ts";
import { Segment, segmentBase } from "../../src/interp/memory.ts";
import { createMap } from "../../src/maps/create.ts";
import { MapFlag } from "../../src/maps/flags.ts";
import { ArrayOfMaps, HashOfMaps } from "../../src/maps/map-in-map.ts";
import { MapType, type MapDef, type SimMap } from "../../src/maps/types.ts";
import { createXdpBuffer, packetBytes } from "../../src/xdp/buffer.ts";
import { canonical, hex, runBoth, tierDifference, type TierSetup } from "./compile-compare.ts";

const CPUS = 3;
const INPUT_BYTES = 48;
// Every map kind the fast path reaches, with keys of 4, 8 and 13 bytes (jhash's tail and its mix loop).
const ARRAY_DEF: MapDef = { name: "array", type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 4, flags: 0 };
const HASH_DEF: MapDef = { name: "hash", type: MapType.HASH, keySize: 4, valueSize: 16, maxEntries: 3, flags: 0 };
const MAP_DEFS: readonly MapDef[] = [
  ARRAY_DEF,
  { name: "pcpu_array", type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 12, maxEntries: 3, flags: 0 },
  HASH_DEF,
  { name: "pcpu_hash", type: MapType.PERCPU_HASH, keySize: 8, valueSize: 8, maxEntries: 3, flags: 0 },
  { name: "lru", type: MapType.LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 3, flags: 0 },
  { name: "lru_pcpu", type: MapType.LRU_PERCPU_HASH, keySize: 8, valueSize: 8, maxEntries: 3, flags: 0 },
  { name: "lpm", type: MapType.LPM_TRIE, keySize: 8, valueSize: 8, maxEntries: 4, flags: MapFlag.NO_PREALLOC },
  { name: "wide_hash", type: MapType.HASH, keySize: 13, valueSize: 4, maxEntries: 4, flags: 0 },
  { name: "constants", type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 2, flags: MapFlag.RDONLY_PROG },
  { name: "stages", type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 3, flags: 0 },
  { name: "ports", type: MapType.DEVMAP, keySize: 4, valueSize: 4, maxEntries: 3, flags: 0 },
  { name: "cpus", type: MapType.CPUMAP, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 },
  // Maps of maps: their lookups return inner maps' handles, listed (array, hash) or not.
  { name: "rings", type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, inner: ARRAY_DEF },
  { name: "tenants", type: MapType.HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, inner: HASH_DEF },
];
const STAGES = 9;
const PORTS = 10;
const CPU_MAP = 11;
const RINGS = 12;
const TENANTS = 13;
// The tail-called program: r0 = 7, exit.
const TAIL_PROGRAM: Insn[] = [insn(Class.ALU64 | Source.K | AluOp.MOV, 0, 0, 0, 7), insn(Class.JMP | JmpOp.EXIT)];
const TAIL_PROGRAM_ID = 4;
// A slot naming a program that is not loaded.
const MISSING_PROGRAM_ID = 9;

function freshMaps(): SimMap[] {
  const maps = MAP_DEFS.map((def) => createMap(def, { cpus: CPUS }));
  // A few present entries, so that lookups hit and updates replace.
  maps[2].sysUpdate(Uint8Array.of(1, 0, 0, 0), new Uint8Array(16).fill(7), 0);
  maps[6].sysUpdate(Uint8Array.of(16, 0, 0, 0, 10, 1, 0, 0), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 0);
  maps[6].sysUpdate(Uint8Array.of(8, 0, 0, 0, 10, 0, 0, 0), Uint8Array.of(8, 7, 6, 5, 4, 3, 2, 1), 0);
  maps[8].sysUpdate(Uint8Array.of(0, 0, 0, 0), Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9), 0);
  maps[STAGES].sysUpdate(Uint8Array.of(0, 0, 0, 0), Uint8Array.of(TAIL_PROGRAM_ID, 0, 0, 0), 0);
  maps[STAGES].sysUpdate(Uint8Array.of(2, 0, 0, 0), Uint8Array.of(MISSING_PROGRAM_ID, 0, 0, 0), 0);
  maps[PORTS].sysUpdate(Uint8Array.of(1, 0, 0, 0), Uint8Array.of(3, 0, 0, 0), 0);
  maps[CPU_MAP].sysUpdate(Uint8Array.of(0, 0, 0, 0), Uint8Array.of(64, 0, 0, 0), 0);
  // rings: 0 -> array (listed), 1 -> an unlisted array, 2 empty, 3 -> the unlisted one again;
  // tenants: 1 -> an unlisted hash, 5 -> hash (listed).
  const ringB = createMap({ ...ARRAY_DEF, name: "array_b" }, { cpus: CPUS });
  const tenantB = createMap({ ...HASH_DEF, name: "hash_b" }, { cpus: CPUS });
  tenantB.sysUpdate(Uint8Array.of(1, 0, 0, 0), new Uint8Array(16).fill(3), 0);
  const setInner = (outer: number, key: number, inner: SimMap): void => {
    expect((maps[outer] as ArrayOfMaps | HashOfMaps).setInner(Uint8Array.of(key, 0, 0, 0), inner, 0)).toBe(0);
  };
  setInner(RINGS, 0, maps[0]);
  setInner(RINGS, 1, ringB);
  setInner(RINGS, 3, ringB);
  setInner(TENANTS, 1, tenantB);
  setInner(TENANTS, 5, maps[2]);
  return maps;
}

// A map's contents for the comparison; a map of maps shows each inner map's name and contents.
const contents = (map: SimMap): unknown => map.entries().map((e) => (e.inner ? { key: e.key, inner: e.inner.def.name, entries: (e.inner as SimMap).entries() } : e));

const BASE = 9;
const ACC = 7;
const CONTEXT = 6;
const mov64 = (dst: number, imm: number): Insn => insn(Class.ALU64 | Source.K | AluOp.MOV, dst, 0, 0, imm);
const movReg = (dst: number, src: number): Insn => insn(Class.ALU64 | Source.X | AluOp.MOV, dst, src, 0, 0);
const add64 = (dst: number, imm: number): Insn => insn(Class.ALU64 | Source.K | AluOp.ADD, dst, 0, 0, imm);
const lddw = (dst: number, value: bigint): Insn[] => [
  insn(LDDW, dst, PseudoLd.IMM64, 0, Number(BigInt.asIntN(32, value))),
  insn(0, 0, 0, 0, Number(BigInt.asIntN(32, value >> 32n))),
];
const ldMap = (dst: number, index: number): Insn[] => [insn(LDDW, dst, PseudoLd.MAP_IDX, 0, index), insn(0)];
const callHelper = (id: number): Insn => insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.HELPER, 0, id);

// r1: a map handle, or something close to one that is not.
const mapArgument = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: MAP_DEFS.length - 1 }).map((index) => ldMap(1, index)) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(segmentBase(Segment.MAPS) + 1n, segmentBase(Segment.MAPS + MAP_DEFS.length), segmentBase(Segment.MAPS) - (1n << 32n), segmentBase(Segment.MAPS) + (1n << 31n), 0n)
      .map((value) => lddw(1, value)),
  },
  { weight: 1, arbitrary: fc.constant<Insn[]>([movReg(1, 10)]) },
  // What a lookup in a map of maps returned: an inner map's handle, or NULL.
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom(RINGS, TENANTS), fc.constantFrom(0, 1, 2, 3, 5, 9)).map(([outer, key]) => [
      insn(Class.ST | Mode.MEM | Size.W, 10, 0, -4, key),
      ...ldMap(1, outer),
      movReg(2, 10),
      add64(2, -4),
      callHelper(HelperId.MAP_LOOKUP_ELEM),
      movReg(1, 0),
    ]),
  },
);

// A pointer for r2/r3: into the stack (sometimes straddling its top or bottom), into the input or packet
// (sometimes across its end), or NULL.
const pointerArgument = (dst: number): fc.Arbitrary<Insn[]> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(-64, -40, -24, -16, -13, -8, -4).map((off) => [movReg(dst, 10), add64(dst, off)]) },
    { weight: 1, arbitrary: fc.constantFrom(-2, 0, -512, -516).map((off) => [movReg(dst, 10), add64(dst, off)]) },
    { weight: 3, arbitrary: fc.constantFrom(0, 2, 14, 30, 40, 44, 46, INPUT_BYTES).map((off) => [movReg(dst, BASE), add64(dst, off)]) },
    { weight: 1, arbitrary: fc.constant<Insn[]>([mov64(dst, 0)]) },
  );

const flagsArgument = fc.constantFrom(0n, 1n, 2n, 3n, 4n, 1n << 32n, (1n << 32n) | 1n, (1n << 64n) - 1n).map((flags) => lddw(4, flags));

// One helper call, r0 folded into the accumulator; a value pointer that came back is written through
// (a fault when the map is read-only) or read, when the call returned one.
const callItem: fc.Arbitrary<Insn[]> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(mapArgument, pointerArgument(2), fc.boolean()).map(([r1, r2, write]) => [...r1, ...r2, callHelper(HelperId.MAP_LOOKUP_ELEM), ...useValue(write)]) },
  { weight: 3, arbitrary: fc.tuple(mapArgument, pointerArgument(2), pointerArgument(3), flagsArgument).map(([r1, r2, r3, r4]) => [...r1, ...r2, ...r3, ...r4, callHelper(HelperId.MAP_UPDATE_ELEM), ...fold()]) },
  { weight: 2, arbitrary: fc.tuple(mapArgument, pointerArgument(2)).map(([r1, r2]) => [...r1, ...r2, callHelper(HelperId.MAP_DELETE_ELEM), ...fold()]) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(HelperId.KTIME_GET_NS, HelperId.KTIME_GET_BOOT_NS, HelperId.GET_PRANDOM_U32, HelperId.GET_SMP_PROCESSOR_ID).map((id) => [callHelper(id), ...fold()]),
  },
  // Stack bytes the next keys and values are read from.
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(-64, -40, -24, -16, -8), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })).map(([off, value]) => [...lddw(3, value), insn(Class.STX | Mode.MEM | Size.DW, 10, 3, off, 0)]) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(-16, -8, -4), fc.integer({ min: 0, max: 40 })).map(([off, value]) => [insn(Class.ST | Mode.MEM | Size.W, 10, 0, off, value)]) },
);

// acc = acc * 31 + r0.
const fold = (): Insn[] => [insn(Class.ALU64 | Source.K | AluOp.MUL, ACC, 0, 0, 31), insn(Class.ALU64 | Source.X | AluOp.ADD, ACC, 0, 0, 0)];

const useValue = (write: boolean): Insn[] => [
  ...fold(),
  insn(Class.JMP | Source.K | JmpOp.JEQ, 0, 0, 2, 0),
  write ? mov64(3, 5) : insn(Class.LDX | Mode.MEM | Size.W, 3, 0, 0, 0),
  write ? insn(Class.STX | Mode.ATOMIC | Size.W, 0, 3, 0, AtomicOp.ADD) : insn(Class.ALU64 | Source.X | AluOp.ADD, ACC, 3, 0, 0),
];

// XDP only. r1: the context, or something close to it that is not.
const contextArgument = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Insn[]>([movReg(1, CONTEXT)]) },
  { weight: 1, arbitrary: fc.constantFrom(1, 1 << 30).map((delta) => [movReg(1, CONTEXT), add64(1, delta)]) },
  { weight: 1, arbitrary: fc.constant<Insn[]>([movReg(1, 10)]) },
);
const offsetArgument = fc.constantFrom(-64, -20, -14, -4, 0, 4, 14, 20, 300, -300).map((delta) => [mov64(2, delta)]);
const u32Argument = (dst: number): fc.Arbitrary<Insn[]> => fc.constantFrom(0n, 1n, 2n, 3n, 0xffff_ffffn, 1n << 32n, (1n << 32n) | 1n, (1n << 64n) - 1n).map((value) => lddw(dst, value));
const redirectFlags = (dst: number): fc.Arbitrary<Insn[]> => fc.constantFrom(0n, 1n, 2n, 3n, 8n, 16n, 24n, 11n, 32n, 1n << 32n, (1n << 32n) | 2n).map((value) => lddw(dst, value));
const redirectMapArgument = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(PORTS, CPU_MAP, 0).map((index) => ldMap(1, index)) },
  { weight: 1, arbitrary: mapArgument },
);

// After a helper that may move the packet, r9 is read again.
const rereadData = (): Insn[] => [insn(Class.LDX | Mode.MEM | Size.W, BASE, CONTEXT, 0, 0)];

// A loop of `count` tail calls into the empty slot 1: each one counts towards the limit of 33.
const emptyTailCalls = (count: number): Insn[] => [
  mov64(8, count),
  movReg(1, CONTEXT),
  ...ldMap(2, STAGES),
  mov64(3, 1),
  callHelper(HelperId.TAIL_CALL),
  add64(8, -1),
  insn(Class.JMP | Source.K | JmpOp.JNE, 8, 0, -7, 0),
];

// bpf_fib_lookup: a struct bpf_fib_lookup at r10-64 (family, ingress ifindex, IPv4 destination), the
// pointer, length and flags at their edges; the fields it fills are read back.
const fibItem: fc.Arbitrary<Insn[]> = fc
  .tuple(
    fc.constantFrom(2, 10, 0),
    fc.constantFrom(1, 2, 7),
    fc.constantFrom(0x0309_010a, 0x0302_010a, 0x0102_00c0, 0x0100_a8c0),
    fc.oneof({ weight: 4, arbitrary: fc.constant<Insn[]>([movReg(2, 10), add64(2, -64)]) }, { weight: 1, arbitrary: pointerArgument(2) }),
    fc.constantFrom(64n, 63n, 100n, (1n << 64n) - 1n, (1n << 32n) | 64n),
    fc.constantFrom(0n, 4n, 16n, 20n, 1n, 32n, 1n << 32n),
  )
  .map(([family, ifindex, destination, r2, length, flags]) => [
    insn(Class.ST | Mode.MEM | Size.W, 10, 0, -64, family),
    insn(Class.ST | Mode.MEM | Size.W, 10, 0, -58, 0x0000_0100),
    insn(Class.ST | Mode.MEM | Size.W, 10, 0, -56, ifindex),
    insn(Class.ST | Mode.MEM | Size.W, 10, 0, -32, destination),
    ...r2,
    ...lddw(3, length),
    ...lddw(4, flags),
    callHelper(HelperId.FIB_LOOKUP),
    ...fold(),
    insn(Class.LDX | Mode.MEM | Size.DW, 3, 10, -56, 0),
    insn(Class.ALU64 | Source.X | AluOp.ADD, ACC, 3, 0, 0),
    insn(Class.LDX | Mode.MEM | Size.DW, 3, 10, -8, 0),
    insn(Class.ALU64 | Source.X | AluOp.ADD, ACC, 3, 0, 0),
  ]);

// A route table for bpf_fib_lookup: a gateway route, an on-link one without neighbours, a blackhole.
const routes = parseRouteTable({
  devices: [
    { ifindex: 1, mac: "02:00:00:00:00:01", mtu: 1500 },
    { ifindex: 2, mac: "02:00:00:00:00:02", mtu: 1400, ipv4: "10.0.0.254" },
  ],
  routes: [
    { prefix: "10.1.0.0/16", ifindex: 2, gateway: "10.0.0.1" },
    { prefix: "10.1.2.0/24", ifindex: 2 },
    { prefix: "192.0.2.0/24", type: "blackhole" },
  ],
  neighbors: [{ address: "10.0.0.1", mac: "aa:bb:cc:dd:ee:01" }],
});

const xdpItem: fc.Arbitrary<Insn[]> = fc.oneof(
  { weight: 2, arbitrary: fibItem },
  { weight: 1, arbitrary: fc.constantFrom(1, 32, 33).map(emptyTailCalls) },
  // A packet byte near the (possibly moved) edges, read by the generated code itself.
  { weight: 2, arbitrary: fc.constantFrom(-1, 0, 13, 14, 20, 40, 59, 60).map((off) => [insn(Class.LDX | Mode.MEM | Size.B, 3, BASE, off, 0), insn(Class.ALU64 | Source.X | AluOp.ADD, ACC, 3, 0, 0)]) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(HelperId.XDP_ADJUST_HEAD, HelperId.XDP_ADJUST_TAIL, HelperId.XDP_ADJUST_META), contextArgument, offsetArgument)
      .map(([id, r1, r2]) => [...r1, ...r2, callHelper(id), ...fold(), ...rereadData()]),
  },
  { weight: 2, arbitrary: fc.tuple(u32Argument(1), u32Argument(2)).map(([r1, r2]) => [...r1, ...r2, callHelper(HelperId.REDIRECT), ...fold()]) },
  {
    weight: 3,
    arbitrary: fc.tuple(redirectMapArgument, u32Argument(2), redirectFlags(3)).map(([r1, r2, r3]) => [...r1, ...r2, ...r3, callHelper(HelperId.REDIRECT_MAP), ...fold()]),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(contextArgument, fc.oneof({ weight: 5, arbitrary: fc.constant(ldMap(2, STAGES)) }, { weight: 1, arbitrary: fc.constant(ldMap(2, 0)) }), u32Argument(3))
      .map(([r1, r2, r3]) => [...r1, ...r2, ...r3, callHelper(HelperId.TAIL_CALL), ...fold()]),
  },
);

// XDP: r6 = the context, r9 = data (the packet); memory: r9 = the input.
const program = (xdp: boolean, items: readonly Insn[][]): Insn[] => [
  ...(xdp ? [movReg(CONTEXT, 1), insn(Class.LDX | Mode.MEM | Size.W, BASE, 1, 0, 0)] : [movReg(BASE, 1)]),
  mov64(ACC, 0),
  ...items.flat(),
  movReg(0, ACC),
  insn(Class.JMP | JmpOp.EXIT),
];

const clocks: readonly SimClock[] = [
  DEFAULT_CLOCK,
  // Just below 2^53 ns: a few instructions later the time no longer fits a double exactly.
  { startNs: (1n << 53n) - 40n, nsPerInstruction: 3n, bootOffsetNs: 5n },
  { startNs: 1n << 62n, nsPerInstruction: 1n, bootOffsetNs: 1n << 62n },
  { startNs: 7n, nsPerInstruction: 1n << 50n, bootOffsetNs: 0n },
];

// A table whose lookup is not the reference's: the tiers must both call it.
const replacedLookup: HelperImplementation = () => returns(0x1234_5678_9abcn);
const replacedTable = new Map(helperImplementations).set(HelperId.MAP_LOOKUP_ELEM, replacedLookup);

const environment = fc.record({ clock: fc.constantFrom(...clocks), cpu: fc.integer({ min: 0, max: CPUS - 1 }), replaced: fc.boolean() });

function setup(xdp: boolean, bytes: Uint8Array, env: { clock: SimClock; cpu: number; replaced: boolean }): () => TierSetup {
  return () => {
    const maps = freshMaps();
    const programs = new Map([[TAIL_PROGRAM_ID, TAIL_PROGRAM]]);
    const common: RunEnv = { maps, programs, routes, clock: env.clock, cpu: env.cpu, ...(env.replaced ? { helpers: replacedTable } : {}) };
    const effects = (memory: () => unknown) => (): unknown => ({ memory: memory(), maps: maps.map(contents) });
    if (xdp) {
      const buffer = createXdpBuffer(bytes);
      return { env: { ...common, input: { kind: "xdp", buffer } }, effects: effects(() => [packetBytes(buffer), buffer.dataMeta, buffer.data, buffer.dataEnd]), inputHex: hex(bytes) };
    }
    const input = bytes.slice();
    return { env: { ...common, input: { kind: "memory", bytes: input } }, effects: effects(() => input), inputHex: hex(bytes) };
  };
}

const check = (difference: string | undefined): void => {
  if (difference !== undefined) throw new Error(difference);
};

describe("compiled tier's own helper answers vs the reference helpers", () => {
  it("agrees on map lookups, updates and deletes, clocks, random numbers and the CPU, over input memory", () => {
    fc.assert(
      fc.property(fc.array(callItem, { minLength: 1, maxLength: 14 }), fc.uint8Array({ minLength: INPUT_BYTES, maxLength: INPUT_BYTES }), environment, (items, input, env) => {
        check(tierDifference(program(false, items), setup(false, input, env)));
      }),
      { numRuns: 400 },
    );
  });

  it("agrees on the same calls with keys and values in an XDP packet, and on adjust, redirect and tail calls", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(callItem, xdpItem), { minLength: 1, maxLength: 14 }), fc.uint8Array({ minLength: 14, maxLength: 60 }), environment, (items, packet, env) => {
        check(tierDifference(program(true, items), setup(true, packet, env)));
      }),
      { numRuns: 300 },
    );
  });
});

describe("compiled tier's own helper answers: hand-counted cases", () => {
  const run = (items: readonly Insn[][], packet: Uint8Array) => {
    const outcome = runBoth(program(true, items), setup(true, packet, { clock: DEFAULT_CLOCK, cpu: 0, replaced: false }));
    expect(canonical(outcome.compiled)).toBe(canonical(outcome.reference));
    return outcome.compiled.result;
  };
  const tailCallToSlot0 = (): Insn[] => [movReg(1, CONTEXT), ...ldMap(2, STAGES), mov64(3, 0), callHelper(HelperId.TAIL_CALL), mov64(0, 1), insn(Class.JMP | JmpOp.EXIT)];

  // include/linux/bpf.h MAX_TAIL_CALL_CNT = 33, counted before the empty-slot check (kernel/bpf/core.c JMP_TAIL_CALL).
  it("counts tail calls into an empty slot towards the limit of 33", () => {
    const packet = new Uint8Array(60);
    const after32 = run([emptyTailCalls(32), tailCallToSlot0()], packet);
    const after33 = run([emptyTailCalls(33), tailCallToSlot0()], packet);
    // The 33rd tail call still runs the target (r0 = 7); the 34th falls through to r0 = 1.
    expect([after32.kind === "exit" && after32.r0, after33.kind === "exit" && after33.r0]).toEqual([7n, 1n]);
  });

  // bpf_xdp_adjust_tail(ctx, -4) on 60 bytes leaves 56: byte 55 is the last one a program may read.
  it("reads the packet within the window an adjust helper left, and faults just past it", () => {
    const shrink = [movReg(1, CONTEXT), mov64(2, -4), callHelper(HelperId.XDP_ADJUST_TAIL), ...rereadData()];
    const readByte = (off: number): Insn[] => [insn(Class.LDX | Mode.MEM | Size.B, 3, BASE, off, 0)];
    const packet = Uint8Array.from({ length: 60 }, (_, i) => i);
    // A read first, so that the packet's window is known before the helper moves it.
    const inside = run([readByte(59), shrink, readByte(55), [movReg(ACC, 3)]], packet);
    const past = run([readByte(59), shrink, readByte(56)], packet);
    expect(inside.kind === "exit" && inside.r0).toBe(55n);
    expect(past.kind).toBe("fault");
  });

  // The constants array is read-only for programs: a lookup hands out a read-only region for its value, which
  // replaces the writable one a direct access got (memory.ts regionForView), so the next direct access at the
  // same instruction gets a third region: the two direct addresses differ by one segment per region made.
  it("gives a direct value access a new address once a lookup has handed out the value read-only", () => {
    const directThenLookup = [
      mov64(8, 2),
      insn(LDDW, 1, PseudoLd.MAP_IDX_VALUE, 0, 8),
      insn(0),
      insn(Class.STX | Mode.MEM | Size.DW, 10, 1, -16, 0),
      insn(Class.ALU64 | Source.X | AluOp.MOV, ACC, 1, 0, 0),
      insn(Class.ST | Mode.MEM | Size.W, 10, 0, -4, 0),
      ...ldMap(1, 8),
      movReg(2, 10),
      add64(2, -4),
      callHelper(HelperId.MAP_LOOKUP_ELEM),
      insn(Class.LDX | Mode.MEM | Size.DW, 3, 10, -16, 0),
      add64(8, -1),
      insn(Class.JMP | Source.K | JmpOp.JEQ, 8, 0, 2, 0),
      insn(Class.STX | Mode.MEM | Size.DW, 10, 3, -24, 0),
      insn(Class.JMP | JmpOp.JA, 0, 0, -15, 0),
      // acc = second direct address - first direct address.
      insn(Class.LDX | Mode.MEM | Size.DW, 3, 10, -24, 0),
      insn(Class.ALU64 | Source.X | AluOp.SUB, ACC, 3, 0, 0),
    ];
    const outcome = runBoth(program(false, [directThenLookup]), setup(false, new Uint8Array(INPUT_BYTES), { clock: DEFAULT_CLOCK, cpu: 0, replaced: false }));
    expect(canonical(outcome.compiled)).toBe(canonical(outcome.reference));
    // First pass: direct (region 1), lookup (region 2); second pass: direct (region 3): two segments apart.
    const result = outcome.compiled.result;
    expect(result.kind === "exit" && result.r0).toBe(2n << 32n);
  });
});
