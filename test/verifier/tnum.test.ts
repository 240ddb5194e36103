import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as T from "../../src/verifier/tnum.ts";
import type { Tnum } from "../../src/verifier/tnum.ts";

const U64 = (1n << 64n) - 1n;

// Every tnum over the low `bits` bits, each bit being 0, 1 or unknown; the
// high bits are optionally all-ones so wrap-around is exercised too.
function allTnums(bits: number, high: bigint): Tnum[] {
  const out: Tnum[] = [];
  const total = 3 ** bits;
  for (let code = 0; code < total; code++) {
    let value = high;
    let mask = 0n;
    let c = code;
    for (let i = 0; i < bits; i++) {
      const t = c % 3;
      c = Math.floor(c / 3);
      if (t === 1) value |= 1n << BigInt(i);
      if (t === 2) mask |= 1n << BigInt(i);
    }
    out.push(T.tnum(value, mask));
  }
  return out;
}

function members(a: Tnum): bigint[] {
  const bits: bigint[] = [];
  for (let i = 0n; i < 64n; i++) if ((a.mask >> i) & 1n) bits.push(1n << i);
  const out: bigint[] = [];
  for (let s = 0; s < 1 << bits.length; s++) {
    let v = a.value;
    bits.forEach((b, i) => {
      if ((s >> i) & 1) v |= b;
    });
    out.push(v);
  }
  return out;
}

const binary: ReadonlyArray<[string, (a: Tnum, b: Tnum) => Tnum, (x: bigint, y: bigint) => bigint]> = [
  ["add", T.add, (x, y) => (x + y) & U64],
  ["sub", T.sub, (x, y) => (x - y) & U64],
  ["mul", T.mul, (x, y) => (x * y) & U64],
  ["and", T.and, (x, y) => x & y],
  ["or", T.or, (x, y) => x | y],
  ["xor", T.xor, (x, y) => x ^ y],
];

describe("tnum", () => {
  const small = [...allTnums(3, 0n), ...allTnums(2, U64 & ~3n)];

  for (const [name, abstract, concrete] of binary) {
    it(`${name} contains every concrete result (exhaustive over 3-bit tnums)`, () => {
      for (const a of small)
        for (const b of small) {
          const r = abstract(a, b);
          expect(r.value & r.mask).toBe(0n);
          for (const x of members(a))
            for (const y of members(b)) {
              const z = concrete(x, y);
              if (!T.contains(r, z)) throw new Error(`${name}(${T.format(a)}, ${T.format(b)}) = ${T.format(r)} misses ${x} op ${y} = ${z}`);
            }
        }
    });
  }

  it("add of constants is the constant sum, so precision is not lost on known values", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: U64 }), fc.bigInt({ min: 0n, max: U64 }), (x, y) => {
        expect(T.add(T.tnumConst(x), T.tnumConst(y))).toEqual(T.tnumConst((x + y) & U64));
        expect(T.mul(T.tnumConst(x), T.tnumConst(y))).toEqual(T.tnumConst((x * y) & U64));
      }),
    );
  });

  it("shifts contain every concrete result", () => {
    for (const a of small)
      for (const s of [0, 1, 5, 31, 32, 63]) {
        for (const x of members(a)) {
          expect(T.contains(T.lshift(a, s), (x << BigInt(s)) & U64)).toBe(true);
          expect(T.contains(T.rshift(a, s), x >> BigInt(s))).toBe(true);
          expect(T.contains(T.arshift(a, s, 64), BigInt.asUintN(64, BigInt.asIntN(64, x) >> BigInt(s)))).toBe(true);
        }
      }
  });

  it("range covers both ends and everything between", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: U64 }), fc.bigInt({ min: 0n, max: 1000n }), (lo, span) => {
        const hi = lo + span > U64 ? U64 : lo + span;
        const r = T.tnumRange(lo, hi);
        for (const x of [lo, hi, (lo + hi) / 2n]) expect(T.contains(r, x)).toBe(true);
      }),
    );
  });

  it("intersect keeps exactly the common members; union keeps all of both", () => {
    const tiny = allTnums(3, 0n);
    for (const a of tiny)
      for (const b of tiny) {
        const both = members(a).filter((x) => T.contains(b, x));
        const i = T.intersect(a, b);
        if (both.length === 0) expect(i).toBeUndefined();
        else for (const x of both) expect(T.contains(i!, x)).toBe(true);
        const u = T.union(a, b);
        for (const x of [...members(a), ...members(b)]) expect(T.contains(u, x)).toBe(true);
      }
  });

  it("isSubsetOf holds exactly when every member of a is a member of b", () => {
    // Low 3 bits each 0, 1 or unknown, with the high bits clear or all set (members differ above bit 2 too).
    const tiny = [...allTnums(3, 0n), ...allTnums(3, U64 & ~7n)];
    for (const a of tiny)
      for (const b of tiny) expect(T.isSubsetOf(a, b)).toBe(members(a).every((x) => T.contains(b, x)));
  });

  it("prints in the kernel's (value; mask) form", () => {
    expect(T.format(T.tnum(0x10n, 0x0fn))).toBe("(0x10; 0xf)");
  });
});
