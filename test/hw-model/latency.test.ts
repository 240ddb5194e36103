// The latency histogram against its definition: sort every latency, sum them,
// pick the elements at the 50th and 99th percentile positions and the last one.
// The mean and maximum must match; a percentile may differ from the sorted
// element by at most 0.1% (the width of a bin), and not at all when the values
// near it repeat exactly (as a steady state's latencies do); below 4 ps, by 4 ps.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { LatencyHistogram } from "../../hw-model/timing/latency.ts";

function bySorting(values: readonly number[]) {
  const sorted = Float64Array.from(values).sort();
  const pct = (q: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
  return { mean: sorted.length ? sorted.reduce((s, x) => s + x, 0) / sorted.length : NaN, p50: pct(0.5), p99: pct(0.99), max: sorted.length ? sorted[sorted.length - 1] : NaN };
}

// Latencies below 2^-8 ns (4 ps) share the first bin.
const within = (got: number, want: number, relative: number): boolean => Math.abs(got - want) <= relative * Math.abs(want) + 2 ** -8;

describe("latency histogram", () => {
  it("gives the exact mean and maximum, and percentiles within 0.1% of sorting every latency", () => {
    const latency = fc.oneof(fc.constantFrom(0, 268.75, 0.1, 0.2, 0.3, 1e9, 1), fc.double({ min: 0, max: 1e6, noNaN: true }));
    fc.assert(
      fc.property(fc.array(latency, { minLength: 1, maxLength: 3000 }), (values) => {
        const h = new LatencyHistogram();
        for (const v of values) h.add(v);
        const got = h.summary();
        const want = bySorting(values);
        expect(got.max).toBe(want.max);
        expect(within(got.mean, want.mean, 1e-12)).toBe(true);
        expect(within(got.p50, want.p50, 0.001), `p50 ${got.p50} vs ${want.p50}`).toBe(true);
        expect(within(got.p99, want.p99, 0.001), `p99 ${got.p99} vs ${want.p99}`).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("reports repeated latencies exactly, however many packets", () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 100_000; i++) h.add([100, 150.5, 200][i % 3]);
    // 33,334 x 100 + 33,333 x 150.5 + 33,333 x 200 over 100,000; sorted, the middle element is 150.5, the 99th percentile 200.
    expect(h.summary()).toEqual({ mean: expect.closeTo((33_334 * 100 + 33_333 * 150.5 + 33_333 * 200) / 100_000, 9), p50: 150.5, p99: 200, max: 200 });
  });

  it("sorts NaN last, as sorting the latencies would", () => {
    const h = new LatencyHistogram();
    for (const v of [5, NaN, 7]) h.add(v);
    expect(h.summary()).toMatchObject({ p50: 7, max: NaN });
    expect(new LatencyHistogram().summary()).toEqual({ mean: NaN, p50: NaN, p99: NaN, max: NaN });
  });
});
