// One lowering rule at a time: a program loads its operands from the packet
// (so the compiler cannot fold them), applies one eBPF instruction and stores
// the result back into the packet; the NIC image must give the same packet and
// action as the interpreter, for every pair of 64-bit edge values and for
// random operands. Operands are loaded with different widths and signedness
// so the 32-bit shortcuts the compiler takes on known-zero upper words are
// exercised as well as the full 64-bit code.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/ebpf/index.ts";
import type { Program } from "../../src/ebpf/instruction.ts";
import { compileSingle, expectSame } from "./harness.ts";

const TWO64 = 1n << 64n;
// 0, 1, -1, INT_MIN, INT_MAX, 2^32, 2^32-1 and neighbours of the word boundaries.
const EDGES = [0n, 1n, TWO64 - 1n, 1n << 63n, (1n << 63n) - 1n, 1n << 32n, (1n << 32n) - 1n, 1n << 31n, (1n << 31n) - 1n, TWO64 - (1n << 31n), 0x1234_5678_9abc_def0n, 7n, 63n];
const EDGE_IMMS = [0, 1, -1, 31, 32, 255, 256, 0x7fff_ffff, -0x8000_0000, 0x1234_5678];
const value64 = fc.oneof(fc.constantFrom(...EDGES), fc.bigInt({ min: 0n, max: TWO64 - 1n }));
const imm32 = fc.oneof(fc.constantFrom(...EDGE_IMMS), fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }));

// How an operand register gets its value: a load of some width from the packet.
const LOADS = ["u64", "u32", "u16", "u8", "s32", "s16", "s8"] as const;
type Load = (typeof LOADS)[number];

// r6 = data; r1 = operand a (bytes 0..7), r2 = operand b (8..15); the body; result r1 to bytes 16..23, r0 = 2.
function program(body: string, loadA: Load = "u64", loadB: Load = "u64"): Program {
  return assemble(`
    r6 = *(u32 *)(r1 + 0)
    r7 = *(u32 *)(r1 + 4)
    r2 = r6
    r2 += 32
    if r2 > r7 goto out
    r1 = *(${loadA} *)(r6 + 0)
    r2 = *(${loadB} *)(r6 + 8)
    ${body}
    *(u64 *)(r6 + 16) = r1
    r0 = 2
    exit
  out:
    r0 = 1
    exit`);
}

function packet(a: bigint, b: bigint): Uint8Array {
  const p = new Uint8Array(32);
  const v = new DataView(p.buffer);
  v.setBigUint64(0, BigInt.asUintN(64, a), true);
  v.setBigUint64(8, BigInt.asUintN(64, b), true);
  return p;
}

function checkEdges(prog: Program): void {
  const image = compileSingle(prog);
  for (const a of EDGES) for (const b of EDGES) expectSame(prog, image, packet(a, b));
}

const BINARY = ["+=", "-=", "*=", "/=", "%=", "s/=", "s%=", "|=", "&=", "^=", "<<=", ">>=", "s>>=", "="] as const;
const CONDS = ["==", "!=", ">", ">=", "<", "<=", "s>", "s>=", "s<", "s<=", "&"] as const;

describe("ALU lowering agrees with the interpreter", () => {
  for (const op of BINARY) {
    for (const w of ["r", "w"] as const) {
      it(`${w}1 ${op} ${w}2 on all edge pairs`, () => checkEdges(program(`${w}1 ${op} ${w}2`)));
      it(`${w}1 ${op} imm for edge immediates`, () => {
        for (const imm of EDGE_IMMS) {
          const prog = program(`${w}1 ${op} ${imm}`);
          const image = compileSingle(prog);
          for (const a of EDGES) expectSame(prog, image, packet(a, 0n));
        }
      });
    }
  }

  it("random operands, widths and operand loads (fast-check)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...BINARY), fc.constantFrom("r", "w"), fc.boolean(), fc.constantFrom(...LOADS), fc.constantFrom(...LOADS), imm32, value64, value64, (op, w, reg, la, lb, imm, a, b) => {
        const body = reg ? `${w}1 ${op} ${w}2` : `${w}1 ${op} ${imm}`;
        const prog = program(body, la, lb);
        expectSame(prog, compileSingle(prog), packet(a, b));
      }),
      { numRuns: 300 },
    );
  });

  it("unary operations: neg, movsx, byte order (edges and random)", () => {
    const bodies = [
      "r1 = -r1", "w1 = -w1",
      "r1 = (s8)r2", "r1 = (s16)r2", "r1 = (s32)r2", "w1 = (s8)w2", "w1 = (s16)w2",
      "r1 = be16 r1", "r1 = be32 r1", "r1 = be64 r1", "r1 = le16 r1", "r1 = le32 r1", "r1 = le64 r1",
      "r1 = bswap16 r1", "r1 = bswap32 r1", "r1 = bswap64 r1",
    ];
    for (const body of bodies) for (const load of ["u64", "u32", "s16"] as const) {
      const prog = program(body, load, load);
      const image = compileSingle(prog);
      for (const a of EDGES) expectSame(prog, image, packet(a, a ^ 0x5a5a_5a5a_5a5a_5a5an));
    }
  });

  it("division by a constant divisor and by zero", () => {
    for (const body of ["r1 /= 0", "r1 %= 0", "w1 s/= -1", "r1 s%= -1", "r1 /= 7", "w1 %= 10", "r1 s/= -3"]) {
      const prog = program(body);
      const image = compileSingle(prog);
      for (const a of EDGES) expectSame(prog, image, packet(a, 0n));
    }
  });
});

describe("conditional jump lowering agrees with the interpreter", () => {
  const jumpBody = (cond: string): string => `if ${cond} goto t
    r1 = 7
    goto o
  t:
    r1 = 9
  o:`;
  for (const op of CONDS) {
    for (const w of ["r", "w"] as const) {
      it(`if ${w}1 ${op} ${w}2 on all edge pairs`, () => checkEdges(program(jumpBody(`${w}1 ${op} ${w}2`))));
    }
  }
  it("random operands, immediates and operand loads (fast-check)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...CONDS), fc.constantFrom("r", "w"), fc.boolean(), fc.constantFrom(...LOADS), fc.constantFrom(...LOADS), imm32, value64, value64, (op, w, reg, la, lb, imm, a, b) => {
        const prog = program(jumpBody(reg ? `${w}1 ${op} ${w}2` : `${w}1 ${op} ${imm}`), la, lb);
        expectSame(prog, compileSingle(prog), packet(a, b));
      }),
      { numRuns: 200 },
    );
  });
});

describe("load and store lowering agrees with the interpreter", () => {
  const SIZES = ["u8", "u16", "u32", "u64"] as const;
  it("stack: a store of one width read back with another, at any offset (byte order in local memory)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...SIZES), fc.constantFrom(...SIZES, "s8", "s16", "s32"), fc.integer({ min: 1, max: 6 }), fc.integer({ min: -7, max: 7 }), value64, value64, (store, load, slot, delta, a, b) => {
        const at = -8 * slot;
        // Verified programs stay inside their frame: the read ends at r10 at the latest.
        const width = { u8: 1, u16: 2, u32: 4, u64: 8, s8: 1, s16: 2, s32: 4 }[load];
        const back = Math.min(-width, Math.max(-64, at + delta));
        const prog = program(`*(u64 *)(r10 - 8) = r2
          *(u64 *)(r10 - 16) = r2
          *(u64 *)(r10 - 24) = r2
          *(u64 *)(r10 - 32) = r2
          *(u64 *)(r10 - 40) = r2
          *(u64 *)(r10 - 48) = r2
          *(u64 *)(r10 - 56) = r2
          *(u64 *)(r10 - 64) = r2
          *(${store} *)(r10 ${at < 0 ? "-" : "+"} ${Math.abs(at)}) = r1
          r1 = *(${load} *)(r10 - ${-back})`);
        expectSame(prog, compileSingle(prog), packet(a, b));
      }),
      { numRuns: 150 },
    );
  });

  it("stack: immediate stores and a variable-offset pointer into the stack", () => {
    const prog = program(`*(u64 *)(r10 - 16) = 0
      *(u32 *)(r10 - 12) = -2
      *(u16 *)(r10 - 7) = 0x1234
      r3 = r2
      r3 &= 7
      r4 = r10
      r4 += -16
      r4 += r3
      *(u8 *)(r4 + 0) = r1
      r1 = *(u64 *)(r10 - 16)`);
    const image = compileSingle(prog);
    for (const a of EDGES) for (const b of [0n, 3n, 7n, 12n]) expectSame(prog, image, packet(a, b));
  });

  it("packet: loads and stores of every width and signedness at odd offsets", () => {
    fc.assert(
      fc.property(fc.constantFrom(...SIZES), fc.constantFrom(...SIZES, "s8", "s16", "s32"), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 8 }), value64, value64, (store, load, at, from, a, b) => {
        const prog = program(`*(${store} *)(r6 + ${16 + at}) = r1
          r1 = *(${load} *)(r6 + ${from + 3})`);
        expectSame(prog, compileSingle(prog), packet(a, b));
      }),
      { numRuns: 120 },
    );
  });

  it("context fields: data, data_end, data_meta, ingress_ifindex, rx_queue_index", () => {
    const prog = assemble(`
      r2 = *(u32 *)(r1 + 0)
      r3 = *(u32 *)(r1 + 4)
      r4 = *(u32 *)(r1 + 8)
      r5 = *(u32 *)(r1 + 12)
      r0 = *(u32 *)(r1 + 16)
      r3 -= r2
      r2 -= r4
      r0 += r5
      r0 <<= 8
      r0 += r3
      r0 <<= 8
      r0 += r2
      exit`);
    const image = compileSingle(prog);
    for (const length of [14, 60, 255, 1500]) expectSame(prog, image, new Uint8Array(length));
  });
});

describe("a packet that the program touches out of bounds faults on both sides", () => {
  it("reads past data_end without a bounds check", () => {
    const prog = assemble(`
      r6 = *(u32 *)(r1 + 0)
      r0 = *(u8 *)(r6 + 100)
      exit`);
    const image = compileSingle(prog);
    const cmp = expectSame(prog, image, new Uint8Array(20));
    expect(cmp.host.action).toBeUndefined();
    expect(cmp.nicRun.fault?.where).toBe("nic");
  });
});
