// Packet latencies as a log-linear histogram: fixed memory and constant cost
// per packet however long the run. A bin spans one 1024th of a power of two
// (the exponent and the top 10 mantissa bits of the float64), so every value
// in a bin is within 0.1% of every other. A bin keeps the count and the sum of
// its values, and a percentile reports the mean of the bin its rank falls in:
// exact when the bin's values are equal (a steady state repeats latencies),
// otherwise within 0.1% of the element sorting every latency would pick. The
// mean and the maximum are exact (up to the order of floating-point additions).
export interface LatencySummary {
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

// Sub-bins per power of two: 2^MANTISSA_BITS.
const MANTISSA_BITS = 10;
// The high word of a float64 holds 20 mantissa bits below its exponent.
const HIGH_WORD_SHIFT = 20 - MANTISSA_BITS;
// Values below 2^MIN_EXPONENT share the first bin, values from 2^MAX_EXPONENT the last (ns: 4 ps to 35 minutes).
const MIN_EXPONENT = -8;
const MAX_EXPONENT = 41;
const BIAS = 1023;
const FIRST_KEY = (BIAS + MIN_EXPONENT) << MANTISSA_BITS;
const BINS = (MAX_EXPONENT - MIN_EXPONENT) << MANTISSA_BITS;

export class LatencyHistogram {
  private readonly counts = new Float64Array(BINS);
  private readonly sums = new Float64Array(BINS);
  private readonly bits = new Float64Array(1);
  private readonly high = new Int32Array(this.bits.buffer, 4, 1);
  // Values counted, and those that were NaN (they sort last, as a typed array sorts).
  total = 0;
  private nanCount = 0;
  private sum = 0;
  private maxValue = -Infinity;

  constructor() {
    // The float64's high word is its second 32-bit half only on little-endian machines.
    if (new Uint8Array(new Float64Array([1]).buffer)[7] !== 0x3f) throw new Error("LatencyHistogram needs a little-endian machine");
  }

  add(latency: number): void {
    this.total++;
    if (!(latency === latency)) {
      this.nanCount++;
      return;
    }
    this.sum += latency;
    if (latency > this.maxValue) this.maxValue = latency;
    const bin = this.binOf(latency);
    this.counts[bin]++;
    this.sums[bin] += latency;
  }

  private binOf(value: number): number {
    if (!(value > 0)) return 0;
    this.bits[0] = value;
    const key = (this.high[0] >> HIGH_WORD_SHIFT) - FIRST_KEY;
    return key < 0 ? 0 : key >= BINS ? BINS - 1 : key;
  }

  summary(): LatencySummary {
    const n = this.total;
    if (n === 0) return { mean: NaN, p50: NaN, p99: NaN, max: NaN };
    // Ranks of the elements at the percentile positions of the sorted latencies.
    const at50 = Math.min(n - 1, Math.floor(0.5 * n));
    const at99 = Math.min(n - 1, Math.floor(0.99 * n));
    const finite = n - this.nanCount;
    const valueAt = (rank: number): number => {
      if (rank >= finite) return NaN;
      let seen = 0;
      for (let bin = 0; bin < BINS; bin++) {
        const count = this.counts[bin];
        if (rank < seen + count) return this.sums[bin] / count;
        seen += count;
      }
      return this.maxValue;
    };
    return {
      mean: this.nanCount ? NaN : this.sum / n,
      p50: valueAt(at50),
      p99: valueAt(at99),
      max: this.nanCount ? NaN : this.maxValue,
    };
  }
}
