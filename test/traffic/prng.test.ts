import { describe, expect, it } from "vitest";
import { Prng, splitMix64 } from "../../src/traffic/gen/prng.ts";
import { ZipfSampler } from "../../src/traffic/gen/zipf.ts";

describe("the seeded generator", () => {
  it("follows xoshiro128** from the state {1, 2, 3, 4}, stepped by hand", () => {
    // result = rotl(s1 * 5, 7) * 9: s1 = 2 gives rotl(10, 7) * 9 = 11520; the update then makes s1 = 0,
    // so the second output is 0; the next state has s1 = 1029, giving rotl(5145, 7) * 9 = 5927040.
    const prng = Prng.fromState(1, 2, 3, 4);
    expect([prng.nextUint32(), prng.nextUint32(), prng.nextUint32()]).toEqual([11520, 0, 5927040]);
  });

  it("seeds through SplitMix64, whose first output from 0 is 0xe220a8397b1dcdaf", () => {
    expect(splitMix64(0n, 1)[0]).toBe(0xe220a8397b1dcdafn);
  });

  it("gives the same sequence for the same seed and another for another", () => {
    const draw = (seed: bigint): number[] => {
      const prng = new Prng(seed);
      return Array.from({ length: 8 }, () => prng.nextUint32());
    };
    expect(draw(42n)).toEqual(draw(42n));
    expect(draw(42n)).not.toEqual(draw(43n));
  });

  it("draws floats in [0, 1) and bounded integers evenly", () => {
    const prng = new Prng(7n);
    const counts = new Array(6).fill(0);
    const draws = 60000;
    let outside = 0;
    for (let i = 0; i < draws; i++) {
      const f = prng.nextFloat();
      if (!(f >= 0 && f < 1)) outside++;
      counts[prng.nextBelow(6)]++;
    }
    expect(outside).toBe(0);
    // Each count is binomial(60000, 1/6): standard deviation about 91; allow 5 of them.
    for (const count of counts) expect(Math.abs(count - draws / 6)).toBeLessThan(5 * 91);
  });
});

describe("Zipf sampling", () => {
  // Expected frequencies from the definition, P(k) = k^-s / sum over j of j^-s, summed here directly.
  const exact = (count: number, exponent: number): number[] => {
    const weights = Array.from({ length: count }, (_, i) => (i + 1) ** -exponent);
    const total = weights.reduce((a, b) => a + b, 0);
    return weights.map((w) => w / total);
  };

  for (const [count, exponent] of [
    [10, 1.1],
    [10, 1],
    [50, 0.6],
    [5, 2.5],
  ] as const) {
    it(`matches P(k) = k^-s / H(n, s) for n = ${count}, s = ${exponent}`, () => {
      const sampler = new ZipfSampler(count, exponent);
      const prng = new Prng(3n);
      const draws = 100_000;
      const counts = new Array(count).fill(0);
      for (let i = 0; i < draws; i++) counts[sampler.sample(prng) - 1]++;
      expect(counts.reduce((a, b) => a + b, 0)).toBe(draws);
      exact(count, exponent).forEach((p, i) => {
        const sigma = Math.sqrt(draws * p * (1 - p));
        expect(Math.abs(counts[i] - draws * p), `rank ${i + 1}`).toBeLessThan(5 * sigma + 1);
      });
    });
  }

  it("stays within range for one flow and for sixteen million", () => {
    const prng = new Prng(1n);
    expect(new ZipfSampler(1, 1.1).sample(prng)).toBe(1);
    const big = new ZipfSampler(1 << 24, 0.9);
    for (let i = 0; i < 1000; i++) {
      const k = big.sample(prng);
      expect(k >= 1 && k <= 1 << 24).toBe(true);
    }
  });
});
