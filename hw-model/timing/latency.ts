// Packet latencies as a count per distinct value, so a run's summary needs
// memory for the distinct latencies (a few thousand in a steady state, however
// many packets pass) instead of one number per packet. The summary is exactly
// what sorting every latency would give: the mean sums them in ascending order,
// one by one, and the percentiles pick the same element.
export interface LatencySummary {
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export class LatencyCounts {
  private keys = new Float64Array(1024);
  private counts = new Float64Array(1024);
  private used = new Uint8Array(1024);
  // Distinct values and values counted.
  distinct = 0;
  total = 0;
  private readonly bits = new Float64Array(1);
  private readonly words = new Int32Array(this.bits.buffer);

  add(latency: number): void {
    // One bit pattern for NaN, so every NaN is one entry (sorting treats them alike).
    const value = Number.isNaN(latency) ? NaN : latency;
    this.total++;
    const slot = this.find(value);
    if (this.used[slot] === 1) {
      this.counts[slot]++;
      return;
    }
    this.used[slot] = 1;
    this.keys[slot] = value;
    this.counts[slot] = 1;
    if (++this.distinct * 2 > this.keys.length) this.grow();
  }

  // The slot holding `value` (compared bit for bit), or the empty slot where it goes.
  private find(value: number): number {
    this.bits[0] = value;
    const lo = this.words[0];
    const hi = this.words[1];
    const mask = this.keys.length - 1;
    let slot = (Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> 7) & mask;
    while (this.used[slot] === 1) {
      this.bits[0] = this.keys[slot];
      if (this.words[0] === lo && this.words[1] === hi) return slot;
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  private grow(): void {
    const keys = this.keys;
    const counts = this.counts;
    const used = this.used;
    const n = keys.length * 2;
    this.keys = new Float64Array(n);
    this.counts = new Float64Array(n);
    this.used = new Uint8Array(n);
    for (let i = 0; i < keys.length; i++) {
      if (used[i] !== 1) continue;
      const slot = this.find(keys[i]);
      this.used[slot] = 1;
      this.keys[slot] = keys[i];
      this.counts[slot] = counts[i];
    }
  }

  summary(): LatencySummary {
    const n = this.total;
    const values = new Float64Array(this.distinct);
    let k = 0;
    for (let i = 0; i < this.keys.length; i++) if (this.used[i] === 1) values[k++] = this.keys[i];
    // The typed array's own sort: ascending, -0 before +0, as sorting every latency ordered them.
    values.sort();
    // The sorted list's elements at the percentile positions, and its in-order sum.
    const at50 = Math.min(n - 1, Math.floor(0.5 * n));
    const at99 = Math.min(n - 1, Math.floor(0.99 * n));
    let p50 = NaN;
    let p99 = NaN;
    let sum = 0;
    let seen = 0;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      const count = this.counts[this.find(value)];
      for (let c = 0; c < count; c++) sum += value;
      if (at50 >= seen && at50 < seen + count) p50 = value;
      if (at99 >= seen && at99 < seen + count) p99 = value;
      seen += count;
    }
    return { mean: sum / Math.max(1, n), p50, p99, max: n ? values[values.length - 1] : NaN };
  }
}
