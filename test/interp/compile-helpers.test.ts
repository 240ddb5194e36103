// The helper calls the compiled tier answers itself (compile-helpers.ts:
// map lookup/update/delete, the clocks, the random source, the CPU number)
// against the reference interpreter, which calls src/helpers for them.
// Generated programs call these helpers with arguments at and beyond the
// edges of what the fast path accepts: every map kind it reaches, keys and
// values on the stack, in the input or packet and straddling their ends, map
// handles that are not quite handles, flags beyond 32 bits, clocks beyond
// 2^53 ns, a helper table that replaces a helper. Both tiers must agree on
// the result, every register (folded into r0), memory and every map's
// contents. A failure prints the listing and the input as hex.
import fc from "fast-check";
import { describe, it } from "vitest";
import { insn, type Insn } from "../../src/ebpf/instruction.ts";
import { AluOp, AtomicOp, Class, JmpOp, LDDW, Mode, PseudoCall, PseudoLd, Size, Source } from "../../src/ebpf/opcode.ts";
import { helperImplementations } from "../../src/helpers/implementations.ts";
import { HelperId } from "../../src/helpers/prototypes.ts";
import { DEFAULT_CLOCK, returns, type HelperImplementation, type SimClock } from "../../src/helpers/runtime.ts";
import type { RunEnv } from "../../src/interp/env.ts";
import { Segment, segmentBase } from "../../src/interp/memory.ts";
import { createMap } from "../../src/maps/create.ts";
import { MapFlag } from "../../src/maps/flags.ts";
import { MapType, type MapDef, type SimMap } from "../../src/maps/types.ts";
import { createXdpBuffer, packetBytes } from "../../src/xdp/buffer.ts";
import { hex, tierDifference, type TierSetup } from "./compile-compare.ts";

const CPUS = 3;
const INPUT_BYTES = 48;
// Every map kind the fast path reaches, with keys of 4, 8 and 13 bytes (jhash's tail and its mix loop).
const MAP_DEFS: readonly MapDef[] = [
  { name: "array", type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 4, flags: 0 },
  { name: "pcpu_array", type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 12, maxEntries: 3, flags: 0 },
  { name: "hash", type: MapType.HASH, keySize: 4, valueSize: 16, maxEntries: 3, flags: 0 },
  { name: "pcpu_hash", type: MapType.PERCPU_HASH, keySize: 8, valueSize: 8, maxEntries: 3, flags: 0 },
  { name: "lru", type: MapType.LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 3, flags: 0 },
  { name: "lru_pcpu", type: MapType.LRU_PERCPU_HASH, keySize: 8, valueSize: 8, maxEntries: 3, flags: 0 },
  { name: "lpm", type: MapType.LPM_TRIE, keySize: 8, valueSize: 8, maxEntries: 4, flags: MapFlag.NO_PREALLOC },
  { name: "wide_hash", type: MapType.HASH, keySize: 13, valueSize: 4, maxEntries: 4, flags: 0 },
  { name: "constants", type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 2, flags: MapFlag.RDONLY_PROG },
  { name: "stages", type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 },
];

function freshMaps(): SimMap[] {
  const maps = MAP_DEFS.map((def) => createMap(def, { cpus: CPUS }));
  // A few present entries, so that lookups hit and updates replace.
  maps[2].sysUpdate(Uint8Array.of(1, 0, 0, 0), new Uint8Array(16).fill(7), 0);
  maps[6].sysUpdate(Uint8Array.of(16, 0, 0, 0, 10, 1, 0, 0), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 0);
  maps[6].sysUpdate(Uint8Array.of(8, 0, 0, 0, 10, 0, 0, 0), Uint8Array.of(8, 7, 6, 5, 4, 3, 2, 1), 0);
  maps[8].sysUpdate(Uint8Array.of(0, 0, 0, 0), Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9), 0);
  return maps;
}

const BASE = 9;
const ACC = 7;
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

// XDP: r9 = data (the packet); memory: r9 = the input.
const program = (xdp: boolean, items: readonly Insn[][]): Insn[] => [
  xdp ? insn(Class.LDX | Mode.MEM | Size.W, BASE, 1, 0, 0) : movReg(BASE, 1),
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
    const common: RunEnv = { maps, clock: env.clock, cpu: env.cpu, ...(env.replaced ? { helpers: replacedTable } : {}) };
    const effects = (memory: () => unknown) => (): unknown => ({ memory: memory(), maps: maps.map((map) => map.entries()) });
    if (xdp) {
      const buffer = createXdpBuffer(bytes);
      return { env: { ...common, input: { kind: "xdp", buffer } }, effects: effects(() => packetBytes(buffer)), inputHex: hex(bytes) };
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

  it("agrees on the same calls with keys and values in an XDP packet", () => {
    fc.assert(
      fc.property(fc.array(callItem, { minLength: 1, maxLength: 14 }), fc.uint8Array({ minLength: 14, maxLength: 60 }), environment, (items, packet, env) => {
        check(tierDifference(program(true, items), setup(true, packet, env)));
      }),
      { numRuns: 300 },
    );
  });
});
