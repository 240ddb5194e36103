// A binary-heap event queue over plain numbers: an event is a time (cycles, a
// float), a kind and two integer arguments. Ties in time pop in the order they
// were pushed, so a run is deterministic. It knows nothing of packets.
// The heap keeps each event's fields in parallel typed arrays in heap order.
export class EventQueue {
  private time = new Float64Array(256);
  private seq = new Float64Array(256);
  private kinds = new Int32Array(256);
  private argA = new Int32Array(256);
  private argB = new Int32Array(256);
  private size = 0;
  private nextSeq = 0;
  // Fields of the last popped event.
  popTime = 0;
  popKind = 0;
  popA = 0;
  popB = 0;

  get length(): number {
    return this.size;
  }

  peekTime(): number {
    return this.size === 0 ? Infinity : this.time[0];
  }

  private grow(): void {
    const n = this.time.length * 2;
    const time = new Float64Array(n);
    time.set(this.time);
    this.time = time;
    const seq = new Float64Array(n);
    seq.set(this.seq);
    this.seq = seq;
    const kinds = new Int32Array(n);
    kinds.set(this.kinds);
    this.kinds = kinds;
    const argA = new Int32Array(n);
    argA.set(this.argA);
    this.argA = argA;
    const argB = new Int32Array(n);
    argB.set(this.argB);
    this.argB = argB;
  }

  push(t: number, kind: number, a: number, b: number): void {
    if (this.size === this.time.length) this.grow();
    const time = this.time;
    const seq = this.seq;
    const kinds = this.kinds;
    const argA = this.argA;
    const argB = this.argB;
    const s = this.nextSeq++;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const tp = time[p];
      if (tp < t || (tp === t && seq[p] < s)) break;
      time[i] = tp;
      seq[i] = seq[p];
      kinds[i] = kinds[p];
      argA[i] = argA[p];
      argB[i] = argB[p];
      i = p;
    }
    time[i] = t;
    seq[i] = s;
    kinds[i] = kind;
    argA[i] = a;
    argB[i] = b;
  }

  // Removes the earliest event into popTime/popKind/popA/popB; false when empty.
  pop(): boolean {
    if (this.size === 0) return false;
    const time = this.time;
    const seq = this.seq;
    const kinds = this.kinds;
    const argA = this.argA;
    const argB = this.argB;
    this.popTime = time[0];
    this.popKind = kinds[0];
    this.popA = argA[0];
    this.popB = argB[0];
    const n = --this.size;
    if (n === 0) return true;
    const lt = time[n];
    const ls = seq[n];
    const lk = kinds[n];
    const la = argA[n];
    const lb = argB[n];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n && (time[r] < time[c] || (time[r] === time[c] && seq[r] < seq[c]))) c = r;
      const tc = time[c];
      if (lt < tc || (lt === tc && ls < seq[c])) break;
      time[i] = tc;
      seq[i] = seq[c];
      kinds[i] = kinds[c];
      argA[i] = argA[c];
      argB[i] = argB[c];
      i = c;
    }
    time[i] = lt;
    seq[i] = ls;
    kinds[i] = lk;
    argA[i] = la;
    argB[i] = lb;
    return true;
  }
}
