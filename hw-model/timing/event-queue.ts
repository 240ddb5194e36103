// A binary-heap event queue over plain integers: an event is a time (cycles, a
// float), a kind and two integer arguments. Ties in time pop in the order they
// were pushed, so a run is deterministic. It knows nothing of packets.
export class EventQueue {
  private time = new Float64Array(1024);
  private seq = new Float64Array(1024);
  private kinds = new Int32Array(1024);
  private argA = new Int32Array(1024);
  private argB = new Int32Array(1024);
  // heap[i] is a slot index; free slots are kept on a stack.
  private heap = new Int32Array(1024);
  private free: number[] = [];
  private size = 0;
  private slots = 0;
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
    return this.size === 0 ? Infinity : this.time[this.heap[0]];
  }

  private grow(): void {
    const n = this.time.length * 2;
    const g = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.time = g(this.time, (k) => new Float64Array(k));
    this.seq = g(this.seq, (k) => new Float64Array(k));
    this.kinds = g(this.kinds, (k) => new Int32Array(k));
    this.argA = g(this.argA, (k) => new Int32Array(k));
    this.argB = g(this.argB, (k) => new Int32Array(k));
    this.heap = g(this.heap, (k) => new Int32Array(k));
  }

  private before(x: number, y: number): boolean {
    const tx = this.time[x];
    const ty = this.time[y];
    return tx < ty || (tx === ty && this.seq[x] < this.seq[y]);
  }

  push(time: number, kind: number, a: number, b: number): void {
    let slot: number;
    if (this.free.length) slot = this.free.pop()!;
    else {
      if (this.slots === this.time.length) this.grow();
      slot = this.slots++;
    }
    this.time[slot] = time;
    this.seq[slot] = this.nextSeq++;
    this.kinds[slot] = kind;
    this.argA[slot] = a;
    this.argB[slot] = b;
    const heap = this.heap;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(slot, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = slot;
  }

  // Removes the earliest event into popTime/popKind/popA/popB; false when empty.
  pop(): boolean {
    if (this.size === 0) return false;
    const heap = this.heap;
    const top = heap[0];
    this.popTime = this.time[top];
    this.popKind = this.kinds[top];
    this.popA = this.argA[top];
    this.popB = this.argB[top];
    this.free.push(top);
    const last = heap[--this.size];
    let i = 0;
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && this.before(heap[r], heap[l]) ? r : l;
      if (!this.before(heap[child], last)) break;
      heap[i] = heap[child];
      i = child;
    }
    if (n > 0) heap[i] = last;
    return true;
  }
}
