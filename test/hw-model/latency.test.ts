// The latency summary kept as counts per distinct value against its definition:
// sort every latency, sum them in that order, pick the elements at the 50th and
// 99th percentile positions and the last one.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { LatencyCounts } from "../../hw-model/timing/latency.ts";

function bySorting(values: readonly number[]) {
  const sorted = Float64Array.from(values).sort();
  const pct = (q: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
  return { mean: sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length), p50: pct(0.5), p99: pct(0.99), max: sorted.length ? sorted[sorted.length - 1] : NaN };
}

describe("latency counts", () => {
  it("summarise exactly as sorting every latency does, duplicates and rounding included", () => {
    // Few distinct values (as a steady state gives), with fractions that make the order of additions matter.
    const latency = fc.oneof(fc.constantFrom(0, -0, 268.75, 0.1, 0.2, 0.3, 1e16, 1), fc.double({ min: 0, max: 1e4, noNaN: true }));
    fc.assert(
      fc.property(fc.array(latency, { maxLength: 3000 }), (values) => {
        const counts = new LatencyCounts();
        for (const v of values) counts.add(v);
        expect(counts.summary()).toEqual(bySorting(values));
      }),
      { numRuns: 200 },
    );
  });

  it("keeps one entry per distinct value, however many packets", () => {
    const counts = new LatencyCounts();
    for (let i = 0; i < 100_000; i++) counts.add([100, 150.5, 200][i % 3]);
    expect(counts.total).toBe(100_000);
    expect(counts.distinct).toBe(3);
    // 33,334 x 100 + 33,333 x 150.5 + 33,333 x 200, in ascending order, over 100,000.
    expect(counts.summary().mean).toBeCloseTo((33_334 * 100 + 33_333 * 150.5 + 33_333 * 200) / 100_000, 9);
  });
});
