// Helpers that call the program back (bpf_loop, bpf_for_each_map_elem) and
// bpf_probe_read_kernel, on both host tiers. Expectations are worked out by
// hand from the kernel's definitions: bpf_loop (kernel/bpf/bpf_iter.c) calls
// callback(i, ctx) for i = 0.. until it returns non-zero (then i + 1) or
// nr_loops calls ran; -EINVAL for flags, -E2BIG above 1 << 23 loops (as the
// verifier's inlined form answers it, kernel/bpf/verifier.c inline_bpf_loop:
// a 64-bit compare of r1, a 32-bit move of -E2BIG; both seen on Linux 6.18).
// bpf_for_each_array_elem / bpf_for_each_hash_elem call callback(map, &key,
// &value, ctx) and return the number of calls.
import { describe, expect, it } from "vitest";
import { insn, type Insn } from "../../src/ebpf/instruction.ts";
import { AluOp, JmpOp, LDDW, PseudoLd, Size } from "../../src/ebpf/opcode.ts";
import { HelperId } from "../../src/helpers/prototypes.ts";
import { runTier, type Tier } from "../../src/interp/compile.ts";
import { createMap } from "../../src/maps/create.ts";
import { MapType, type BpfMap } from "../../src/maps/types.ts";
import { R, alu64Imm, alu64Reg, callHelper, exit, jmpImm, ldMap, ldx, mov64, movReg, program, st, stx } from "./program.ts";

const TIERS: readonly Tier[] = ["reference", "compiled"];
const u64 = (n: number): bigint => BigInt.asUintN(64, BigInt(n));
const EINVAL = 22;
const E2BIG = 7;
const ERANGE = 34;
const EFAULT = 14;

// ld_imm64 of the function at `target`, placed at `pc` (pseudo-func: target = pc + 1 + imm).
const ldFunc = (dst: number, pc: number, target: number): Insn[] => [insn(LDDW, dst, PseudoLd.FUNC, 0, target - pc - 1), insn(0)];

// r0 = bpf_loop(nrLoops (in r1 as given), callback, &sum, flags) + (sum << 8). The callback
// (pc 13) adds its index to the u64 sum and returns 1 once the index reaches `stopAt`.
function loopProgram(nrLoops: Insn[], flags: number, stopAt: number): Insn[] {
  const main = program(
    st(Size.DW, R.r10, -8, 0), // 0
    nrLoops, // 1, 2 (padded to two slots)
    ldFunc(R.r2, 3, 14), // 3, 4
    movReg(R.r3, R.r10), // 5
    alu64Imm(AluOp.ADD, R.r3, -8), // 6
    mov64(R.r4, flags), // 7
    callHelper(HelperId.LOOP), // 8
    ldx(Size.DW, R.r1, R.r10, -8), // 9
    alu64Imm(AluOp.LSH, R.r1, 8), // 10
    alu64Reg(AluOp.ADD, R.r0, R.r1), // 11
    exit(), // 12
    exit(), // 13 (never reached)
  );
  const callback = program(
    ldx(Size.DW, R.r3, R.r2, 0), // 14
    alu64Reg(AluOp.ADD, R.r3, R.r1), // 15
    stx(Size.DW, R.r2, R.r3, 0), // 16
    mov64(R.r0, 0), // 17
    jmpImm(JmpOp.JLT, R.r1, stopAt, 1), // 18
    mov64(R.r0, 1), // 19
    exit(), // 20
  );
  return [...main, ...callback];
}
const nop = (): Insn => mov64(R.r5, 0);
const loopsImm = (n: number): Insn[] => [mov64(R.r1, n), nop()];
const wide = (dst: number, n: bigint): Insn[] => [insn(LDDW, dst, 0, 0, Number(BigInt.asIntN(32, n))), insn(0, 0, 0, 0, Number(BigInt.asIntN(32, n >> 32n)))];
const loopsWide = (n: bigint): Insn[] => wide(R.r1, n);

describe.each(TIERS)("bpf_loop (%s tier)", (tier) => {
  it("calls the callback nr_loops times with index 0.. and returns nr_loops", () => {
    const result = runTier(tier, loopProgram(loopsImm(10), 0, 1000));
    // sum 0 + 1 + ... + 9 = 45; 10 iterations.
    expect(result).toMatchObject({ kind: "exit", r0: 10n + (45n << 8n) });
    // main: pcs 0,1,2,3,5,6,7,8,9,10,11,12 = 12 steps; callback: 6 per call (pcs 14-18 and 20: the jump is taken).
    expect(result.steps).toBe(12 + 10 * 6);
  });

  it("stops when the callback returns 1 and returns the calls made", () => {
    // The callback returns 1 at index 3: indices 0..3 ran, sum 6, result 4.
    expect(runTier(tier, loopProgram(loopsImm(10), 0, 3))).toMatchObject({ kind: "exit", r0: 4n + (6n << 8n) });
  });

  it("returns 0 without a call for 0 loops", () => {
    expect(runTier(tier, loopProgram(loopsImm(0), 0, 1000))).toMatchObject({ kind: "exit", r0: 0n });
  });

  it("refuses flags with -EINVAL and more than 1 << 23 loops with -E2BIG, calling nothing", () => {
    expect(runTier(tier, loopProgram(loopsImm(3), 1, 1000))).toMatchObject({ kind: "exit", r0: u64(-EINVAL) });
    // The inlined bpf_loop (flags 0) sets -E2BIG with a 32-bit move: r0 = 0xfffffff9.
    expect(runTier(tier, loopProgram(loopsWide(BigInt((1 << 23) + 1)), 0, 1 << 30))).toMatchObject({ kind: "exit", r0: BigInt.asUintN(32, BigInt(-E2BIG)) });
    expect(runTier(tier, loopProgram(loopsWide(BigInt(1 << 23)), 0, 0))).toMatchObject({ kind: "exit", r0: 1n });
  });

  it("compares all 64 bits of nr_loops with the limit, as the inlined form does: 2^32 + 2 is too many", () => {
    expect(runTier(tier, loopProgram(loopsWide((1n << 32n) + 2n), 0, 1000))).toMatchObject({ kind: "exit", r0: 0xffff_fff9n });
  });

  it("counts the callback's instructions toward the budget", () => {
    const result = runTier(tier, loopProgram(loopsWide(1n << 23n), 0, 1 << 30), {}, { maxSteps: 1000 });
    expect(result.kind).toBe("fault");
    expect(result.steps).toBe(1000);
    if (result.kind !== "fault") return;
    expect(result.fault.kind).toBe("budget");
    // 7 main steps (pcs 0, 1, 3, 5-8) reach the call, then 6 per callback call: 993 = 165 * 6 + 3,
    // so the 166th call has run pcs 14-16 and pc 17 is the instruction refused.
    expect(result.pc).toBe(17);
  });

  it("faults at the helper's pc when the callback address is not a function", () => {
    const slots = program(mov64(R.r1, 1), mov64(R.r2, 12345), mov64(R.r3, 0), mov64(R.r4, 0), callHelper(HelperId.LOOP), exit());
    expect(runTier(tier, slots)).toMatchObject({ kind: "fault", pc: 4, fault: { kind: "helper" } });
  });
});

function valueMap(type: number, entries: readonly (readonly [number, number])[]): BpfMap {
  const map = createMap({ name: "m", type, keySize: 4, valueSize: 8, maxEntries: 8, flags: 0 });
  for (const [key, value] of entries) {
    const k = new Uint8Array(4);
    new DataView(k.buffer).setUint32(0, key, true);
    const v = new Uint8Array(8);
    new DataView(v.buffer).setBigUint64(0, BigInt(value), true);
    expect(map.update(k, v, 0, 0)).toBe(0);
  }
  return map;
}

const valueAt = (map: BpfMap, key: number): bigint | undefined => {
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, key, true);
  const v = map.lookup(k, 0);
  return v && new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true);
};

// r0 = bpf_for_each_map_elem(map 0, callback, &sum, flags) + (sum << 16). The callback (pc 13)
// adds key * value to the sum, adds 100 to the value, and returns 1 once the key is `stopAt`.
function forEachProgram(flags: number, stopAt: number): Insn[] {
  const main = program(
    st(Size.DW, R.r10, -8, 0), // 0
    ldMap(R.r1, 0), // 1, 2
    ldFunc(R.r2, 3, 13), // 3, 4
    movReg(R.r3, R.r10), // 5
    alu64Imm(AluOp.ADD, R.r3, -8), // 6
    mov64(R.r4, flags), // 7
    callHelper(HelperId.FOR_EACH_MAP_ELEM), // 8
    ldx(Size.DW, R.r1, R.r10, -8), // 9
    alu64Imm(AluOp.LSH, R.r1, 16), // 10
    alu64Reg(AluOp.ADD, R.r0, R.r1), // 11
    exit(), // 12
  );
  const callback = program(
    ldx(Size.W, R.r1, R.r2, 0), // 13: key
    ldx(Size.DW, R.r5, R.r3, 0), // 14: value
    movReg(R.r0, R.r5), // 15
    alu64Reg(AluOp.MUL, R.r0, R.r1), // 16
    ldx(Size.DW, R.r2, R.r4, 0), // 17: sum
    alu64Reg(AluOp.ADD, R.r2, R.r0), // 18
    stx(Size.DW, R.r4, R.r2, 0), // 19
    alu64Imm(AluOp.ADD, R.r5, 100), // 20
    stx(Size.DW, R.r3, R.r5, 0), // 21
    mov64(R.r0, 0), // 22
    jmpImm(JmpOp.JNE, R.r1, stopAt, 1), // 23
    mov64(R.r0, 1), // 24
    exit(), // 25
  );
  return [...main, ...callback];
}

describe.each(TIERS)("bpf_for_each_map_elem (%s tier)", (tier) => {
  it("visits every index of an array, zero values included, and may write the values", () => {
    const map = valueMap(MapType.ARRAY, [[0, 5], [1, 6], [2, 7], [3, 8]]);
    // 8 entries: keys 4..7 hold 0. Sum of key * value = 0*5 + 1*6 + 2*7 + 3*8 = 44.
    expect(runTier(tier, forEachProgram(0, 99), { maps: [map] })).toMatchObject({ kind: "exit", r0: 8n + (44n << 16n) });
    expect([0, 1, 2, 3, 7].map((k) => valueAt(map, k))).toEqual([105n, 106n, 107n, 108n, 100n]);
  });

  it("stops when the callback returns 1, counting that call", () => {
    const map = valueMap(MapType.ARRAY, [[0, 5], [1, 6], [2, 7], [3, 8]]);
    // Keys 0, 1, 2 visited: 0 + 6 + 14 = 20, 3 calls; key 3 untouched.
    expect(runTier(tier, forEachProgram(0, 2), { maps: [map] })).toMatchObject({ kind: "exit", r0: 3n + (20n << 16n) });
    expect(valueAt(map, 3)).toBe(8n);
  });

  it("visits each element of a hash map once", () => {
    const map = valueMap(MapType.HASH, [[3, 10], [5, 20], [7, 1]]);
    // 3*10 + 5*20 + 7*1 = 137 over 3 elements, whatever the order.
    expect(runTier(tier, forEachProgram(0, 99), { maps: [map] })).toMatchObject({ kind: "exit", r0: 3n + (137n << 16n) });
    expect([3, 5, 7].map((k) => valueAt(map, k))).toEqual([110n, 120n, 101n]);
  });

  // The kernel's walk (hashtab.c bpf_for_each_hash_elem) reads the elements in place, not through
  // htab_lru_map_lookup_elem: no element gets a second chance, so the ninth key evicts the four oldest,
  // as in a map nobody looked into (test/maps/lru-hash.test.ts traces that eviction by hand).
  it("leaves an LRU map's elements unreferenced: the next insert evicts the four oldest", () => {
    const map = valueMap(MapType.LRU_HASH, [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [6, 6], [7, 7], [8, 8]]);
    // 1 + 4 + ... + 64 = 204 over 8 elements.
    expect(runTier(tier, forEachProgram(0, 99), { maps: [map] })).toMatchObject({ kind: "exit", r0: 8n + (204n << 16n) });
    expect(map.update(Uint8Array.of(9, 0, 0, 0), new Uint8Array(8), 0, 0)).toBe(0);
    const present: number[] = [];
    for (let key = map.getNextKey(undefined); key !== undefined; key = map.getNextKey(key)) present.push(key[0]);
    expect(present.sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9]);
  });

  it("refuses flags with -EINVAL before any call", () => {
    const map = valueMap(MapType.ARRAY, [[1, 6]]);
    expect(runTier(tier, forEachProgram(2, 99), { maps: [map] })).toMatchObject({ kind: "exit", r0: u64(-EINVAL) });
    expect(valueAt(map, 1)).toBe(6n);
  });

  it("gives the callback a read-only key", () => {
    const map = valueMap(MapType.ARRAY, [[0, 1]]);
    const slots = program(
      ldMap(R.r1, 0),
      ldFunc(R.r2, 2, 8),
      mov64(R.r3, 0),
      mov64(R.r4, 0),
      callHelper(HelperId.FOR_EACH_MAP_ELEM),
      exit(),
      st(Size.W, R.r2, 0, 9), // 8: write the key
      exit(),
    );
    expect(runTier(tier, slots, { maps: [map] })).toMatchObject({ kind: "fault", pc: 8, fault: { kind: "memory" } });
  });
});

// r0 = bpf_probe_read_kernel(r10 - 8, size, source), with [r10 - 8] preset to 0x1111; r0 + ([r10 - 8] << 8).
function probeRead(source: Insn[], size: number): Insn[] {
  return program(
    st(Size.DW, R.r10, -8, 0x1111),
    st(Size.DW, R.r10, -16, 0x2233),
    movReg(R.r1, R.r10),
    alu64Imm(AluOp.ADD, R.r1, -8),
    mov64(R.r2, size),
    source,
    callHelper(HelperId.PROBE_READ_KERNEL),
    ldx(Size.DW, R.r1, R.r10, -8),
    alu64Imm(AluOp.LSH, R.r1, 8),
    alu64Reg(AluOp.ADD, R.r0, R.r1),
    exit(),
  );
}

describe.each(TIERS)("bpf_probe_read_kernel (%s tier)", (tier) => {
  it("copies from a simulated object and returns 0", () => {
    const fromStack = [movReg(R.r3, R.r10), alu64Imm(AluOp.ADD, R.r3, -16)];
    expect(runTier(tier, probeRead(fromStack, 8))).toMatchObject({ kind: "exit", r0: 0x2233n << 8n });
  });

  it("answers NULL with -ERANGE (a user address, even for 0 bytes) and zeroes the buffer", () => {
    expect(runTier(tier, probeRead([mov64(R.r3, 0)], 8))).toMatchObject({ kind: "exit", r0: u64(-ERANGE) });
    expect(runTier(tier, probeRead([mov64(R.r3, 0)], 0))).toMatchObject({ kind: "exit", r0: BigInt.asUintN(64, u64(-ERANGE) + (0x1111n << 8n)) });
  });

  it("answers an unmapped kernel address with -EFAULT and zeroes the buffer", () => {
    expect(runTier(tier, probeRead(wide(R.r3, 0xffff_ffff_ff00_0000n), 8))).toMatchObject({ kind: "exit", r0: u64(-EFAULT) });
  });
});
