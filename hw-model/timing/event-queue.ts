// The simulation's event queue over plain numbers: an event is a time (cycles,
// a float), a kind and two integer arguments. Events pop in time order, ties in
// the order they were pushed, so a run is deterministic. It knows nothing of
// packets.
//
// A binary min-heap on (time, push number) held in typed arrays: a run keeps a
// few dozen to a few hundred events pending (one per busy thread, core and
// port), so a push or pop moves through a handful of levels. Popping allocates
// nothing.
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
  // Set by peek().
  earliest = Infinity;

  constructor() {
    this.popTime = this.earliest = 0.5;
    this.popTime = 0;
    this.earliest = Infinity;
  }

  get length(): number {
    return this.size;
  }

  // Time of the earliest event, Infinity when there is none.
  peekTime(): number {
    this.peek();
    return this.earliest;
  }

  // Sets `earliest` to peekTime(). (A fractional number returned by a call V8 does not inline is
  // boxed on the heap; a field is not.)
  peek(): void {
    this.earliest = this.size === 0 ? Infinity : this.time[0];
  }

  push(t: number, kind: number, a: number, b: number): void {
    if (this.size === this.time.length) this.grow();
    const time = this.time;
    const seq = this.seq;
    const s = this.nextSeq++;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const tp = time[p];
      if (tp < t || (tp === t && seq[p] < s)) break;
      this.move(p, i);
      i = p;
    }
    time[i] = t;
    seq[i] = s;
    this.kinds[i] = kind;
    this.argA[i] = a;
    this.argB[i] = b;
  }

  // Removes the earliest event into popTime/popKind/popA/popB; false when empty.
  pop(): boolean {
    if (this.size === 0) return false;
    const time = this.time;
    const seq = this.seq;
    this.popTime = time[0];
    this.popKind = this.kinds[0];
    this.popA = this.argA[0];
    this.popB = this.argB[0];
    const n = --this.size;
    if (n === 0) return true;
    const lt = time[n];
    const ls = seq[n];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n && (time[r] < time[c] || (time[r] === time[c] && seq[r] < seq[c]))) c = r;
      const tc = time[c];
      if (lt < tc || (lt === tc && ls < seq[c])) break;
      this.move(c, i);
      i = c;
    }
    this.move(n, i);
    return true;
  }

  private move(from: number, to: number): void {
    this.time[to] = this.time[from];
    this.seq[to] = this.seq[from];
    this.kinds[to] = this.kinds[from];
    this.argA[to] = this.argA[from];
    this.argB[to] = this.argB[from];
  }

  private grow(): void {
    const n = this.time.length * 2;
    const f = (a: Float64Array): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const g = (a: Int32Array): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.time = f(this.time);
    this.seq = f(this.seq);
    this.kinds = g(this.kinds);
    this.argA = g(this.argA);
    this.argB = g(this.argB);
  }
}
