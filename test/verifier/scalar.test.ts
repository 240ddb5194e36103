import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as S from "../../src/verifier/scalar.ts";
import type { AluName, CmpName, Scalar } from "../../src/verifier/scalar.ts";
import * as T from "../../src/verifier/tnum.ts";

const U64 = (1n << 64n) - 1n;
const U32 = (1n << 32n) - 1n;
const s64 = (x: bigint) => BigInt.asIntN(64, x);
const s32 = (x: bigint) => BigInt.asIntN(32, x);

// The tightest abstraction of a finite set of values (what a perfect analysis would know).
function abstractOf(values: bigint[]): Scalar {
  const vs = values.map((v) => BigInt.asUintN(64, v));
  const lo = vs.map((v) => v & U32);
  const minOf = (xs: bigint[]) => xs.reduce((a, b) => (a < b ? a : b));
  const maxOf = (xs: bigint[]) => xs.reduce((a, b) => (a > b ? a : b));
  return S.sync({
    bits: vs.slice(1).reduce((acc, v) => T.union(acc, T.tnumConst(v)), T.tnumConst(vs[0])),
    umin: minOf(vs),
    umax: maxOf(vs),
    smin: minOf(vs.map(s64)),
    smax: maxOf(vs.map(s64)),
    u32min: minOf(lo),
    u32max: maxOf(lo),
    s32min: minOf(lo.map(s32)),
    s32max: maxOf(lo.map(s32)),
  });
}

// Values that stress edges: 0, ±1, the signed and unsigned limits at both widths, and neighbours.
const edge = fc.constantFrom(0n, 1n, U64, 1n << 63n, (1n << 63n) - 1n, 1n << 32n, U32, 1n << 31n, (1n << 31n) - 1n, 255n, 0xffffn);
const value = fc.oneof(edge, fc.bigInt({ min: 0n, max: U64 }), fc.bigInt({ min: 0n, max: 300n }), fc.bigInt({ min: U64 - 300n, max: U64 }));
const valueSet = fc.array(value, { minLength: 1, maxLength: 4 });

// Concrete semantics written from RFC 9669 (independent of the abstract code).
function concrete(op: AluName, width: 32 | 64, x: bigint, y: bigint): bigint {
  const m = width === 64 ? U64 : U32;
  const a = x & m;
  const b = y & m;
  const sh = b & BigInt(width - 1);
  const sgn = (v: bigint) => BigInt.asIntN(width, v);
  switch (op) {
    case "add": return (a + b) & m;
    case "sub": return (a - b) & m;
    case "mul": return (a * b) & m;
    case "div": return b === 0n ? 0n : a / b;
    case "mod": return b === 0n ? a : a % b;
    case "sdiv": return b === 0n ? 0n : BigInt.asUintN(width, sgn(a) / sgn(b));
    case "smod": return b === 0n ? a : BigInt.asUintN(width, sgn(a) % sgn(b));
    case "or": return a | b;
    case "and": return a & b;
    case "xor": return a ^ b;
    case "lsh": return (a << sh) & m;
    case "rsh": return a >> sh;
    case "arsh": return BigInt.asUintN(width, sgn(a) >> sh);
    case "mov": return b;
    case "neg": return (-a) & m;
  }
}

function compare(cmp: CmpName, width: 32 | 64, x: bigint, y: bigint): boolean {
  const m = width === 64 ? U64 : U32;
  const a = x & m;
  const b = y & m;
  const sgn = (v: bigint) => BigInt.asIntN(width, v);
  switch (cmp) {
    case "eq": return a === b;
    case "ne": return a !== b;
    case "gt": return a > b;
    case "ge": return a >= b;
    case "lt": return a < b;
    case "le": return a <= b;
    case "sgt": return sgn(a) > sgn(b);
    case "sge": return sgn(a) >= sgn(b);
    case "slt": return sgn(a) < sgn(b);
    case "sle": return sgn(a) <= sgn(b);
    case "set": return (a & b) !== 0n;
  }
}

const ops: AluName[] = ["add", "sub", "mul", "div", "mod", "sdiv", "smod", "or", "and", "xor", "lsh", "rsh", "arsh", "mov", "neg"];
const cmps: CmpName[] = ["eq", "ne", "gt", "ge", "lt", "le", "sgt", "sge", "slt", "sle", "set"];
const widths: (32 | 64)[] = [32, 64];
const show = (xs: bigint[]) => `[${xs.map((x) => "0x" + x.toString(16)).join(", ")}]`;

describe("scalar bounds", () => {
  it("the abstraction of a set contains each member", () => {
    fc.assert(fc.property(valueSet, (xs) => xs.every((x) => S.contains(abstractOf(xs), x))), { numRuns: 500 });
  });

  for (const op of ops)
    for (const width of widths)
      it(`${op}${width} contains every concrete result`, () => {
        fc.assert(
          fc.property(valueSet, valueSet, (xs, ys) => {
            const a = abstractOf(xs);
            const b = abstractOf(ys);
            // Shifts by a constant only: the verifier requires in-range constant or unknown shifts either way.
            const r = S.alu(op, width, a, b);
            for (const x of xs)
              for (const y of ys) {
                const z = concrete(op, width, x, y);
                if (!S.contains(r, z))
                  throw new Error(`${op}${width} a=${show(xs)} b=${show(ys)}: ${S.format(r)} misses 0x${z.toString(16)} (from 0x${x.toString(16)}, 0x${y.toString(16)})`);
              }
          }),
          { numRuns: 300 },
        );
      });

  for (const cmp of cmps)
    for (const width of widths)
      it(`refining on ${cmp}${width} keeps every pair that satisfies it, and only reports impossible when none does`, () => {
        fc.assert(
          fc.property(valueSet, valueSet, fc.boolean(), (xs, ys, taken) => {
            const a = abstractOf(xs);
            const b = abstractOf(ys);
            const r = S.refine(cmp, width, a, b, taken);
            for (const x of xs)
              for (const y of ys) {
                if (compare(cmp, width, x, y) !== taken) continue;
                if (r === undefined) throw new Error(`${cmp}${width} taken=${taken} a=${show(xs)} b=${show(ys)} said impossible, but (0x${x.toString(16)}, 0x${y.toString(16)}) satisfies it`);
                if (!S.contains(r[0], x) || !S.contains(r[1], y))
                  throw new Error(`${cmp}${width} taken=${taken} a=${show(xs)} b=${show(ys)} lost (0x${x.toString(16)}, 0x${y.toString(16)}): ${S.format(r[0])} / ${S.format(r[1])}`);
              }
          }),
          { numRuns: 300 },
        );
      });

  it("a bounds check against a constant gives the range a packet access needs", () => {
    const len = S.unsignedRange(0n, 0xffffn);
    const r = S.refine("gt", 64, len, S.constant(1500n), false);
    expect(r).toBeDefined();
    expect(r![0].umax).toBe(1500n);
    expect(S.refine("gt", 64, S.constant(10n), S.constant(20n), true)).toBeUndefined();
  });

  it("sign and zero extension contain the extended value", () => {
    fc.assert(
      fc.property(valueSet, fc.constantFrom(1, 2, 4) as fc.Arbitrary<1 | 2 | 4>, fc.boolean(), (xs, bytes, signed) => {
        const r = S.extend(abstractOf(xs), bytes, signed);
        for (const x of xs) {
          const bits = bytes * 8;
          const z = signed ? BigInt.asUintN(64, BigInt.asIntN(bits, x)) : BigInt.asUintN(bits, x);
          expect(S.contains(r, z)).toBe(true);
        }
      }),
    );
  });

  it("covers: a state covers itself and anything more precise", () => {
    fc.assert(
      fc.property(valueSet, valueSet, (xs, ys) => {
        const big = abstractOf([...xs, ...ys]);
        expect(S.covers(big, abstractOf(xs))).toBe(true);
        expect(S.covers(big, big)).toBe(true);
      }),
    );
  });
});
