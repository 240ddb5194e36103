// Items that come out of order (the timing model's packet records: a short
// packet overtakes a long one) handed on in the order of their ids, which
// run 0, 1, 2... without gaps. Those waiting for an earlier one sit in a ring
// indexed by id, doubled when the gap outgrows it.

const INITIAL_SLOTS = 1_024;

export class InOrder<T extends { readonly id: number }> {
  // The id handed on next.
  next = 0;
  private slots: (T | undefined)[] = new Array<T | undefined>(INITIAL_SLOTS).fill(undefined);
  private mask = INITIAL_SLOTS - 1;

  constructor(private readonly deliver: (item: T) => void) {}

  add(item: T): void {
    if (item.id !== this.next) {
      if (item.id - this.next > this.mask) this.grow(item.id);
      this.slots[item.id & this.mask] = item;
      return;
    }
    const slots = this.slots;
    this.deliver(item);
    this.next++;
    for (let waiting = slots[this.next & this.mask]; waiting !== undefined; waiting = slots[this.next & this.mask]) {
      slots[this.next & this.mask] = undefined;
      this.deliver(waiting);
      this.next++;
    }
  }

  // Room for ids up to `id`: each waiting item moves to its slot in the larger ring.
  private grow(id: number): void {
    let size = 2 * this.slots.length;
    while (id - this.next >= size) size *= 2;
    const grown = new Array<T | undefined>(size).fill(undefined);
    for (const waiting of this.slots) if (waiting !== undefined) grown[waiting.id & (size - 1)] = waiting;
    this.slots = grown;
    this.mask = size - 1;
  }
}
