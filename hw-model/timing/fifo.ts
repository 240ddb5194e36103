// A first-in first-out queue of (slot, time) pairs in two circular typed arrays
// that double when full: the packet engine's backlog of admitted packets.
export class TimedFifo {
  private slots = new Int32Array(64);
  private times = new Float64Array(64);
  private head = 0;
  length = 0;

  push(slot: number, time: number): void {
    if (this.length === this.slots.length) this.grow();
    const at = (this.head + this.length) & (this.slots.length - 1);
    this.slots[at] = slot;
    this.times[at] = time;
    this.length++;
  }

  // The oldest entry's slot and time (the queue is not empty).
  firstSlot(): number {
    return this.slots[this.head];
  }

  firstTime(): number {
    return this.times[this.head];
  }

  shift(): void {
    this.head = (this.head + 1) & (this.slots.length - 1);
    this.length--;
  }

  private grow(): void {
    const n = this.slots.length * 2;
    const slots = new Int32Array(n);
    const times = new Float64Array(n);
    for (let i = 0; i < this.length; i++) {
      const at = (this.head + i) & (this.slots.length - 1);
      slots[i] = this.slots[at];
      times[i] = this.times[at];
    }
    this.slots = slots;
    this.times = times;
    this.head = 0;
  }
}
