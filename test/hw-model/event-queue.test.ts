// The calendar event queue against the definition of its order: earliest time
// first, equal times in push order. Pushes and pops interleave as in a
// simulation (new events at or after the last popped time, some far beyond the
// calendar's window, some at huge absolute times), on a small calendar so the
// ring wraps and far events migrate often.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { EventQueue } from "../../hw-model/timing/event-queue.ts";

type Step = { readonly kind: "push"; readonly delay: number } | { readonly kind: "pop" };

const delay = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 40 }),
  fc.double({ min: 0, max: 40, noNaN: true }),
  // beyond a 32-bucket window
  fc.integer({ min: 30, max: 5000 }),
  fc.double({ min: 0, max: 1e6, noNaN: true }),
);
const steps = fc.array(fc.oneof({ weight: 3, arbitrary: delay.map((d): Step => ({ kind: "push", delay: d })) }, { weight: 2, arbitrary: fc.constant<Step>({ kind: "pop" }) }), { maxLength: 400 });

function replay(q: EventQueue, start: number, script: readonly Step[]): { got: [number, number][]; want: [number, number][] } {
  const pending: [number, number][] = [];
  const got: [number, number][] = [];
  const want: [number, number][] = [];
  let now = start;
  let id = 0;
  const popBoth = (): void => {
    expect(q.pop()).toBe(true);
    got.push([q.popTime, q.popA]);
    pending.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    const first = pending.shift()!;
    want.push(first);
    now = q.popTime;
  };
  for (const s of script) {
    if (s.kind === "push") {
      const t = now + s.delay;
      q.push(t, 7, id, -id);
      pending.push([t, id++]);
      expect(q.length).toBe(pending.length);
    } else if (pending.length) {
      const peek = q.peekTime();
      popBoth();
      expect(peek).toBe(q.popTime);
    } else expect(q.pop()).toBe(false);
  }
  while (pending.length) popBoth();
  expect(q.pop()).toBe(false);
  expect(q.peekTime()).toBe(Infinity);
  return { got, want };
}

describe("event queue", () => {
  it("pops in (time, push order) for simulation-like interleavings", () => {
    fc.assert(
      fc.property(steps, fc.constantFrom(0, 12.5, 2 ** 33 + 0.25), fc.constantFrom<[number, number]>([32, 1], [64, 2], [4096, 1]), (script, start, [buckets, width]) => {
        const { got, want } = replay(new EventQueue(buckets, width), start, script);
        expect(got).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps push order among many events at one time, across the window and beyond it", () => {
    const q = new EventQueue(32, 1);
    const times = [100, 5, 100, 5000, 100, 5000, 31.5, 5, 100];
    times.forEach((t, i) => q.push(t, i, i, 0));
    const out: number[] = [];
    while (q.pop()) out.push(q.popA);
    expect(out).toEqual([1, 7, 6, 0, 2, 4, 8, 3, 5]);
  });

  it("carries kind and both arguments", () => {
    const q = new EventQueue();
    q.push(3, 5, -2, 2_000_000_000);
    expect(q.pop()).toBe(true);
    expect([q.popTime, q.popKind, q.popA, q.popB]).toEqual([3, 5, -2, 2_000_000_000]);
  });
});
