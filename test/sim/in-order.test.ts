import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadPreset } from "../../hw-model/index.ts";
import { InOrder } from "../../src/sim/in-order.ts";
import { PacketFeed } from "../../src/sim/packet-feed.ts";

describe("in-order delivery of out-of-order records", () => {
  it("hands on every id once, in order, whatever order they come in and however far apart (gaps of thousands)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6000 }), fc.nat(), (count, seed) => {
        // A permutation where an item may come up to thousands of places late: sorted by id plus a random delay.
        let state = seed | 1;
        const random = (): number => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 8) / (1 << 24);
        const order = Array.from({ length: count }, (_, id) => ({ id, at: id + (random() < 0.05 ? random() * 5000 : 0) })).sort((a, b) => a.at - b.at);
        const delivered: number[] = [];
        const inOrder = new InOrder<{ id: number }>((item) => delivered.push(item.id));
        for (const item of order) inOrder.add({ id: item.id });
        expect(delivered).toEqual(Array.from({ length: count }, (_, id) => id));
      }),
      { numRuns: 40 },
    );
  });
});

describe("packet feed", () => {
  const preset = loadPreset("nfp-4000");
  it("keeps every packet given to the model until it is released, beyond its first ring's size, and reuses released ones", () => {
    const frames = Array.from({ length: 5000 }, (_, i) => ({ data: Uint8Array.of(i & 0xff, i >> 8), arrivalNs: 100 * i }));
    const feed = new PacketFeed(frames, preset, 2, 25);
    const given = [];
    for (let r = feed.next(); r.done !== true; r = feed.next()) given.push({ id: feed.read - 1, data: [...r.value.data] });
    expect(given.length).toBe(5000);
    // With timestamps the order is the traffic's: packet i holds bytes i & 0xff, i >> 8.
    for (const { id } of given) expect([...feed.packet(id).data], `packet ${id}`).toEqual([id & 0xff, id >> 8]);
    for (const { id } of given) feed.release(id);
  });
});
