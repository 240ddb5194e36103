// The simulation's event queue over plain numbers: an event is a time (cycles,
// a float), a kind and two integer arguments. Events pop in time order, ties in
// the order they were pushed, so a run is deterministic. It knows nothing of
// packets.
//
// A calendar queue: a ring of buckets, each `bucketCycles` wide, covers the
// next `buckets * bucketCycles` cycles; an event in that window is appended to
// its bucket's list (kept sorted by time; a new event goes after every event of
// equal time, which is push order since it is the newest), so push and pop cost
// O(1) when events are spread over the window, as they are here (memory
// latencies of tens to hundreds of cycles). A bitmap of non-empty buckets skips
// idle stretches. Events beyond the window wait in a binary heap ordered by
// (time, push order) and move into the calendar when the window reaches them.
// Every field lives in typed arrays; popping allocates nothing.
export class EventQueue {
  // Event nodes: fields and the next node of the same bucket (or of the free list).
  private time = new Float64Array(256);
  private kinds = new Int32Array(256);
  private argA = new Int32Array(256);
  private argB = new Int32Array(256);
  private next = new Int32Array(256);
  private freeNode = -1;
  private usedNodes = 0;
  // The calendar.
  private readonly mask: number;
  private readonly perCycle: number;
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  private readonly nonEmpty: Uint32Array;
  // Absolute number of the current bucket (floor(time / bucketCycles), an integer that may pass
  // 2^31) and its ring index (ToInt32 keeps an integer modulo 2^32, so `& mask` is exact).
  private curAbs = 0;
  private curIdx = 0;
  private inCalendar = 0;
  // Events beyond the window: a binary heap of (time, push order) -> node.
  private farTime = new Float64Array(64);
  private farSeq = new Float64Array(64);
  private farNode = new Int32Array(64);
  private farSize = 0;
  private nextSeq = 0;
  // Fields of the last popped event.
  popTime = 0;
  popKind = 0;
  popA = 0;
  popB = 0;
  // Set by peek().
  earliest = Infinity;

  // `buckets` must be a power of two (a multiple of 32) and `bucketCycles` a power of two.
  constructor(buckets = 4096, bucketCycles = 1) {
    if (buckets < 32 || (buckets & (buckets - 1)) !== 0) throw new Error(`event queue buckets must be a power of two >= 32, not ${buckets}`);
    if (!(bucketCycles > 0) || Math.log2(bucketCycles) % 1 !== 0) throw new Error(`event queue bucket width must be a power of two, not ${bucketCycles}`);
    this.mask = buckets - 1;
    this.perCycle = 1 / bucketCycles;
    this.head = new Int32Array(buckets).fill(-1);
    this.tail = new Int32Array(buckets).fill(-1);
    this.nonEmpty = new Uint32Array(buckets >>> 5);
  }

  get length(): number {
    return this.inCalendar + this.farSize;
  }

  // Time of the earliest event, Infinity when there is none.
  peekTime(): number {
    this.peek();
    return this.earliest;
  }

  // Sets `earliest` to peekTime(). (A fractional number returned by a call V8 does not inline is
  // boxed on the heap; a field is not.)
  peek(): void {
    if (this.inCalendar === 0) this.earliest = this.farSize === 0 ? Infinity : this.farTime[0];
    else {
      const h = this.head[this.curIdx];
      this.earliest = this.time[h >= 0 ? h : this.head[this.advance()]];
    }
  }

  push(t: number, kind: number, a: number, b: number): void {
    // The common case kept small enough to inline: a bucket in the window, empty or whose events are not later.
    const ahead = Math.floor(t * this.perCycle) - this.curAbs;
    if (this.inCalendar !== 0 && ahead >= 0 && ahead <= this.mask && this.freeNode >= 0) {
      const idx = (this.curIdx + ahead) & this.mask;
      const last = this.tail[idx];
      if (last < 0 || this.time[last] <= t) {
        const node = this.freeNode;
        this.freeNode = this.next[node];
        this.time[node] = t;
        this.kinds[node] = kind;
        this.argA[node] = a;
        this.argB[node] = b;
        this.next[node] = -1;
        if (last < 0) {
          this.head[idx] = node;
          this.nonEmpty[idx >>> 5] |= 1 << (idx & 31);
        } else this.next[last] = node;
        this.tail[idx] = node;
        this.inCalendar++;
        return;
      }
    }
    this.pushAny(t, kind, a, b);
  }

  private pushAny(t: number, kind: number, a: number, b: number): void {
    const node = this.allocNode();
    this.time[node] = t;
    this.kinds[node] = kind;
    this.argA[node] = a;
    this.argB[node] = b;
    let bucket = Math.floor(t * this.perCycle);
    if (this.inCalendar === 0) {
      // An empty window may move anywhere up to the earliest far event: it starts at the earlier of the two.
      const far = this.farSize === 0 ? bucket : Math.floor(this.farTime[0] * this.perCycle);
      this.curAbs = Math.min(bucket, far);
      this.curIdx = this.curAbs & this.mask;
      if (this.farSize > 0) this.migrate();
    } else if (bucket < this.curAbs) bucket = this.curAbs;
    const ahead = bucket - this.curAbs;
    if (ahead <= this.mask) this.insert((this.curIdx + ahead) & this.mask, node);
    else this.pushFar(t, this.nextSeq++, node);
  }

  // Removes the earliest event into popTime/popKind/popA/popB; false when empty.
  pop(): boolean {
    if (this.inCalendar === 0) {
      if (this.farSize === 0) return false;
      // Nothing in the window: move it to the earliest far event.
      this.curAbs = Math.floor(this.farTime[0] * this.perCycle);
      this.curIdx = this.curAbs & this.mask;
      this.migrate();
    }
    const idx = this.head[this.curIdx] >= 0 ? this.curIdx : this.advance();
    const node = this.head[idx];
    const after = this.next[node];
    this.head[idx] = after;
    if (after < 0) {
      this.tail[idx] = -1;
      this.nonEmpty[idx >>> 5] &= ~(1 << (idx & 31));
    }
    this.inCalendar--;
    this.popTime = this.time[node];
    this.popKind = this.kinds[node];
    this.popA = this.argA[node];
    this.popB = this.argB[node];
    this.next[node] = this.freeNode;
    this.freeNode = node;
    return true;
  }

  // Moves the current bucket to the first non-empty one (the calendar holds an event) and returns its index.
  private advance(): number {
    const bits = this.nonEmpty;
    const words = bits.length;
    const start = this.curIdx;
    let w = start >>> 5;
    let word = bits[w] & (-1 << (start & 31));
    for (let k = 0; word === 0 && k < words; k++) {
      w = w + 1 === words ? 0 : w + 1;
      word = bits[w];
    }
    const idx = (w << 5) | (31 - Math.clz32(word & -word));
    const moved = (idx - start) & this.mask;
    this.curAbs += moved;
    this.curIdx = idx;
    if (this.farSize > 0) this.migrate();
    return idx;
  }

  // Far events the window now covers join the calendar, earliest (and first pushed) first.
  private migrate(): void {
    const limit = this.curAbs + this.mask;
    while (this.farSize > 0) {
      let bucket = Math.floor(this.farTime[0] * this.perCycle);
      if (bucket > limit) return;
      if (bucket < this.curAbs) bucket = this.curAbs;
      const node = this.farNode[0];
      this.popFar();
      this.insert((this.curIdx + (bucket - this.curAbs)) & this.mask, node);
    }
  }

  private insert(idx: number, node: number): void {
    const t = this.time[node];
    const last = this.tail[idx];
    this.inCalendar++;
    if (last < 0) {
      this.head[idx] = this.tail[idx] = node;
      this.next[node] = -1;
      this.nonEmpty[idx >>> 5] |= 1 << (idx & 31);
      return;
    }
    if (this.time[last] <= t) {
      this.next[last] = node;
      this.next[node] = -1;
      this.tail[idx] = node;
      return;
    }
    // Earlier than the bucket's last event: after every event of time <= t.
    let prev = -1;
    let at = this.head[idx];
    while (this.time[at] <= t) {
      prev = at;
      at = this.next[at];
    }
    this.next[node] = at;
    if (prev < 0) this.head[idx] = node;
    else this.next[prev] = node;
  }

  private allocNode(): number {
    if (this.freeNode >= 0) {
      const node = this.freeNode;
      this.freeNode = this.next[node];
      return node;
    }
    if (this.usedNodes === this.time.length) {
      const n = this.time.length * 2;
      this.time = grownF64(this.time, n);
      this.kinds = grownI32(this.kinds, n);
      this.argA = grownI32(this.argA, n);
      this.argB = grownI32(this.argB, n);
      this.next = grownI32(this.next, n);
    }
    return this.usedNodes++;
  }

  private pushFar(t: number, s: number, node: number): void {
    if (this.farSize === this.farTime.length) {
      const n = this.farTime.length * 2;
      this.farTime = grownF64(this.farTime, n);
      this.farSeq = grownF64(this.farSeq, n);
      this.farNode = grownI32(this.farNode, n);
    }
    const time = this.farTime;
    const seq = this.farSeq;
    const nodes = this.farNode;
    let i = this.farSize++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const tp = time[p];
      if (tp < t || (tp === t && seq[p] < s)) break;
      time[i] = tp;
      seq[i] = seq[p];
      nodes[i] = nodes[p];
      i = p;
    }
    time[i] = t;
    seq[i] = s;
    nodes[i] = node;
  }

  private popFar(): void {
    const time = this.farTime;
    const seq = this.farSeq;
    const nodes = this.farNode;
    const n = --this.farSize;
    if (n === 0) return;
    const lt = time[n];
    const ls = seq[n];
    const ln = nodes[n];
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
      nodes[i] = nodes[c];
      i = c;
    }
    time[i] = lt;
    seq[i] = ls;
    nodes[i] = ln;
  }
}

function grownF64(a: Float64Array, n: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}

function grownI32(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
