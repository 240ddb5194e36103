// The simulation's event queue over plain numbers: an event is a time (cycles,
// a float), a kind and two integer arguments. Events pop in time order, ties in
// the order they were pushed, so a run is deterministic. It knows nothing of
// packets.
//
// A binary min-heap on (time, push number): a run keeps a few dozen to a few
// hundred events pending (one per busy thread, core and port), so a push or pop
// passes a handful of levels. The heap itself holds only each event's time and
// node; the node's kind, arguments and push number stay put in their own arrays,
// so moving an event up or down the heap moves two numbers. Every field lives in
// typed arrays; popping allocates nothing.
export class EventQueue {
  // The heap: times and nodes, smallest (time, push number) first.
  private heapTime = new Float64Array(256);
  private heapNode = new Int32Array(256);
  private size = 0;
  // Event nodes: kind, arguments, push number; free nodes chain through `argA`.
  private kinds = new Int32Array(256);
  private argA = new Int32Array(256);
  private argB = new Int32Array(256);
  private seq = new Float64Array(256);
  private freeNode = -1;
  private usedNodes = 0;
  private nextSeq = 0;
  // Fields of the last popped event.
  popTime = 0;
  popKind = 0;
  popA = 0;
  popB = 0;
  // Set by peek().
  earliest = Infinity;

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
    this.earliest = this.size === 0 ? Infinity : this.heapTime[0];
  }

  push(t: number, kind: number, a: number, b: number): void {
    const node = this.allocNode();
    this.kinds[node] = kind;
    this.argA[node] = a;
    this.argB[node] = b;
    const s = this.nextSeq++;
    this.seq[node] = s;
    if (this.size === this.heapTime.length) this.growHeap();
    const time = this.heapTime;
    const nodes = this.heapNode;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const tp = time[p];
      // Equal times: the parent was pushed earlier unless its push number says otherwise.
      if (tp < t || (tp === t && this.seq[nodes[p]] < s)) break;
      time[i] = tp;
      nodes[i] = nodes[p];
      i = p;
    }
    time[i] = t;
    nodes[i] = node;
  }

  // Removes the earliest event into popTime/popKind/popA/popB; false when empty.
  pop(): boolean {
    if (this.size === 0) return false;
    const time = this.heapTime;
    const nodes = this.heapNode;
    const top = nodes[0];
    this.popTime = time[0];
    this.popKind = this.kinds[top];
    this.popA = this.argA[top];
    this.popB = this.argB[top];
    this.argA[top] = this.freeNode;
    this.freeNode = top;
    const n = --this.size;
    if (n === 0) return true;
    const lt = time[n];
    const ln = nodes[n];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n) {
        const tr = time[r];
        const tc = time[c];
        if (tr < tc || (tr === tc && this.seq[nodes[r]] < this.seq[nodes[c]])) c = r;
      }
      const tc = time[c];
      if (lt < tc || (lt === tc && this.seq[ln] < this.seq[nodes[c]])) break;
      time[i] = tc;
      nodes[i] = nodes[c];
      i = c;
    }
    time[i] = lt;
    nodes[i] = ln;
    return true;
  }

  private allocNode(): number {
    if (this.freeNode >= 0) {
      const node = this.freeNode;
      this.freeNode = this.argA[node];
      return node;
    }
    if (this.usedNodes === this.kinds.length) {
      const n = this.kinds.length * 2;
      this.kinds = grownI32(this.kinds, n);
      this.argA = grownI32(this.argA, n);
      this.argB = grownI32(this.argB, n);
      this.seq = grownF64(this.seq, n);
    }
    return this.usedNodes++;
  }

  private growHeap(): void {
    const n = this.heapTime.length * 2;
    this.heapTime = grownF64(this.heapTime, n);
    this.heapNode = grownI32(this.heapNode, n);
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
