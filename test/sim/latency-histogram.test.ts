import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { LatencyHistogram, bucketBounds, bucketIndex } from "../../src/sim/latency-histogram.ts";

// 128 sub-buckets per power of two: a bucket is at most 1/128 of its lower bound wide,
// so its midpoint is within 1/256 of any value in it.
const TOLERANCE = 1 / 256;

// The nearest-rank percentile: the value of rank ceil(q * n) in sorted order.
function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
}

describe("latency histogram", () => {
  it("puts every value in a bucket whose bounds contain it", () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 1e11, noNaN: true }), (v) => {
        const { lowerNs, upperNs } = bucketBounds(bucketIndex(v));
        return lowerNs <= v && v < upperNs;
      }),
      { numRuns: 2000 },
    );
  });

  it("reads percentiles within 1/256 of the exact nearest-rank values", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 1, max: 1e7, noNaN: true }), { minLength: 1, maxLength: 400 }), fc.constantFrom(0.5, 0.9, 0.99, 0.999), (values, q) => {
        const h = new LatencyHistogram();
        for (const v of values) h.record(v);
        const exact = exactQuantile(values, q);
        const read = h.quantile(q);
        if (Math.abs(read - exact) > exact * TOLERANCE) throw new Error(`q=${q}: read ${read}, exact ${exact}, values ${values.slice(0, 20).join(", ")}`);
      }),
      { numRuns: 300 },
    );
  });

  it("gives the exact value when every latency is the same", () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 1000; i++) h.record(700);
    expect(h.quantile(0.5)).toBe(700);
    expect(h.quantile(0.999)).toBe(700);
    expect(h.meanNs).toBe(700);
  });

  it("keeps the same few kilobytes however many values it holds", () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 200_000; i++) h.record(100 + (i % 5000));
    expect(h.count).toBe(200_000);
    // 5000 distinct values between 100 and 5099 ns fall in at most 128 buckets per octave over 6 octaves.
    expect(h.buckets().length).toBeLessThanOrEqual(6 * 128);
    expect(h.buckets().reduce((s, b) => s + b.count, 0)).toBe(200_000);
  });

  it("merges two histograms as if all values went into one", () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    const all = new LatencyHistogram();
    for (let i = 1; i <= 500; i++) {
      (i % 2 ? a : b).record(i * 3.5);
      all.record(i * 3.5);
    }
    a.merge(b);
    expect(a.quantile(0.99)).toBe(all.quantile(0.99));
    expect(a.count).toBe(500);
    expect(a.max).toBe(1750);
  });

  it("reports no percentile for an empty run", () => {
    expect(new LatencyHistogram().quantile(0.5)).toBeNaN();
  });
});
