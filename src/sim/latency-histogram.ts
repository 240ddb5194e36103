// A bounded-memory histogram of latencies (nanoseconds), so percentiles of a
// ten-million-packet run cost the same few kilobytes as those of ten packets.
//
// Log-linear buckets, as HdrHistogram lays them out: each power of two
// [2^e, 2^(e+1)) is cut into SUB_BUCKETS equal parts, so a bucket is at most
// 1/SUB_BUCKETS of its lower bound wide, and a percentile read as the bucket's
// midpoint is within half of that (0.4 %) of the exact order statistic.
// Values below 1 ns share bucket 0; values from 2^MAX_OCTAVE ns on share the last.

export const SUB_BUCKET_BITS = 7;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
// 2^40 ns is about 18 minutes: far beyond any packet's stay on a card.
const MAX_OCTAVE = 40;
const BUCKETS = 1 + MAX_OCTAVE * SUB_BUCKETS + 1;

// The largest relative distance between a value and the midpoint of its bucket.
export const HISTOGRAM_RELATIVE_ERROR = 1 / (2 * SUB_BUCKETS);

export interface HistogramBucket {
  readonly lowerNs: number;
  readonly upperNs: number;
  readonly count: number;
}

export function bucketIndex(valueNs: number): number {
  if (!(valueNs >= 1)) return 0;
  const octave = Math.floor(Math.log2(valueNs));
  if (octave >= MAX_OCTAVE) return BUCKETS - 1;
  // log2 may round across a power of two; correct it from the value itself.
  const base = 2 ** octave;
  const fixedOctave = valueNs < base ? octave - 1 : valueNs >= 2 * base ? octave + 1 : octave;
  const fixedBase = 2 ** fixedOctave;
  const sub = Math.min(SUB_BUCKETS - 1, Math.floor((valueNs / fixedBase - 1) * SUB_BUCKETS));
  return 1 + fixedOctave * SUB_BUCKETS + sub;
}

export function bucketBounds(index: number): { readonly lowerNs: number; readonly upperNs: number } {
  if (index <= 0) return { lowerNs: 0, upperNs: 1 };
  if (index >= BUCKETS - 1) return { lowerNs: 2 ** MAX_OCTAVE, upperNs: Infinity };
  const octave = Math.floor((index - 1) / SUB_BUCKETS);
  const sub = (index - 1) % SUB_BUCKETS;
  const base = 2 ** octave;
  return { lowerNs: base * (1 + sub / SUB_BUCKETS), upperNs: base * (1 + (sub + 1) / SUB_BUCKETS) };
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private sumNs = 0;
  private minNs = Infinity;
  private maxNs = -Infinity;

  record(valueNs: number): void {
    this.counts[bucketIndex(valueNs)]++;
    this.total++;
    this.sumNs += valueNs;
    if (valueNs < this.minNs) this.minNs = valueNs;
    if (valueNs > this.maxNs) this.maxNs = valueNs;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] += other.counts[i];
    this.total += other.total;
    this.sumNs += other.sumNs;
    this.minNs = Math.min(this.minNs, other.minNs);
    this.maxNs = Math.max(this.maxNs, other.maxNs);
  }

  get count(): number {
    return this.total;
  }

  get meanNs(): number {
    return this.total ? this.sumNs / this.total : NaN;
  }

  get min(): number {
    return this.total ? this.minNs : NaN;
  }

  get max(): number {
    return this.total ? this.maxNs : NaN;
  }

  // The q-quantile (0 < q <= 1): the value of rank ceil(q * count), read as its bucket's midpoint, within [min, max].
  quantile(q: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) {
        const { lowerNs, upperNs } = bucketBounds(i);
        const mid = Number.isFinite(upperNs) ? (lowerNs + upperNs) / 2 : lowerNs;
        return Math.min(this.maxNs, Math.max(this.minNs, mid));
      }
    }
    return this.maxNs;
  }

  // The non-empty buckets, lowest first.
  buckets(): HistogramBucket[] {
    const out: HistogramBucket[] = [];
    for (let i = 0; i < BUCKETS; i++) {
      if (this.counts[i] === 0) continue;
      const { lowerNs, upperNs } = bucketBounds(i);
      out.push({ lowerNs, upperNs: Number.isFinite(upperNs) ? upperNs : this.maxNs, count: this.counts[i] });
    }
    return out;
  }

  // State for passing between threads (structured clone keeps typed arrays).
  toTransfer(): { counts: Float64Array; total: number; sumNs: number; minNs: number; maxNs: number } {
    return { counts: this.counts.slice(), total: this.total, sumNs: this.sumNs, minNs: this.minNs, maxNs: this.maxNs };
  }

  static fromTransfer(state: { counts: Float64Array; total: number; sumNs: number; minNs: number; maxNs: number }): LatencyHistogram {
    const h = new LatencyHistogram();
    h.counts.set(state.counts);
    h.total = state.total;
    h.sumNs = state.sumNs;
    h.minNs = state.minNs;
    h.maxNs = state.maxNs;
    return h;
  }
}
