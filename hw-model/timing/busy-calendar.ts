// When one server (a memory unit's command queue or its atomic engine) is busy:
// a sorted list of disjoint busy intervals ahead of the simulation's clock. A
// command issued at t takes the first idle stretch at or after t long enough
// for its service, so commands handed over out of time order (a core runs its
// threads ahead of the clock) still fill the gaps earlier commands left, and a
// command never waits for one issued later than itself unless that one already
// holds the server. Intervals that ended before the clock are dropped.
export class BusyCalendar {
  private starts = new Float64Array(64);
  private ends = new Float64Array(64);
  private head = 0;
  private tail = 0;
  // Start of the last reservation.
  start = 0;

  // End of the last busy interval (-Infinity when none is ahead of the clock).
  lastEnd(): number {
    return this.tail > this.head ? this.ends[this.tail - 1] : -Infinity;
  }

  // Reserves `cycles` from the first idle time at or after t; `now` is the clock (t >= now).
  reserve(t: number, cycles: number, now: number): void {
    const starts = this.starts;
    const ends = this.ends;
    let h = this.head;
    while (h < this.tail && ends[h] <= now) h++;
    this.head = h;
    const n = this.tail;
    // Common case: at or after the end of every interval.
    if (h === n || t >= ends[n - 1]) {
      this.start = t;
      if (h < n && t === ends[n - 1]) ends[n - 1] = t + cycles;
      else this.append(t, t + cycles);
      return;
    }
    // The first interval ending after t, then the first gap that fits.
    let i = h;
    while (ends[i] <= t) i++;
    let at = t;
    while (i < n && starts[i] < at + cycles) {
      if (ends[i] > at) at = ends[i];
      i++;
    }
    this.start = at;
    const end = at + cycles;
    // Insert [at, end) before interval i, merging with its neighbours where they touch.
    const touchesBefore = i > h && ends[i - 1] === at;
    const touchesAfter = i < n && starts[i] === end;
    if (touchesBefore && touchesAfter) {
      ends[i - 1] = ends[i];
      // Element loops: the lists are short, and copyWithin's call costs more than the moves.
      for (let k = i + 1; k < n; k++) {
        starts[k - 1] = starts[k];
        ends[k - 1] = ends[k];
      }
      this.tail--;
    } else if (touchesBefore) ends[i - 1] = end;
    else if (touchesAfter) starts[i] = at;
    else {
      if (i === n) {
        this.append(at, end);
        return;
      }
      if (this.tail === starts.length) {
        this.compact();
        // Compacting moved the entries down by the old head.
        i -= h;
        this.ensureRoom();
      }
      const s2 = this.starts;
      const e2 = this.ends;
      for (let k = this.tail; k > i; k--) {
        s2[k] = s2[k - 1];
        e2[k] = e2[k - 1];
      }
      s2[i] = at;
      e2[i] = end;
      this.tail++;
    }
  }

  private append(s: number, e: number): void {
    if (this.tail === this.starts.length) {
      this.compact();
      this.ensureRoom();
    }
    this.starts[this.tail] = s;
    this.ends[this.tail] = e;
    this.tail++;
  }

  // Moves the live intervals to the front.
  private compact(): void {
    const h = this.head;
    if (h === 0) return;
    this.starts.copyWithin(0, h, this.tail);
    this.ends.copyWithin(0, h, this.tail);
    this.tail -= h;
    this.head = 0;
  }

  // Doubles the arrays when more than half full (after compact()).
  private ensureRoom(): void {
    if (this.tail * 2 <= this.starts.length) return;
    const starts = new Float64Array(this.starts.length * 2);
    const ends = new Float64Array(this.starts.length * 2);
    starts.set(this.starts.subarray(0, this.tail));
    ends.set(this.ends.subarray(0, this.tail));
    this.starts = starts;
    this.ends = ends;
  }
}
