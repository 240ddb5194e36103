import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadPreset } from "../../hw-model/index.ts";
import { scheduleOnPorts } from "../../src/sim/port-scheduler.ts";

const preset = loadPreset("nfp-4000");
// IEEE 802.3 wire time at 25 Gb/s: (frame + 4 FCS, at least 64) + 8 preamble/SFD + 12 gap bytes, 8 bits each.
const wire25 = (captured: number): number => ((Math.max(captured + 4, 64) + 20) * 8) / 25;
const frames = (lengths: readonly number[]) => lengths.map((n) => ({ data: new Uint8Array(n), arrivalNs: undefined }));

describe("port scheduler", () => {
  it("keeps both ports busy and hands packets over in arrival order (worked example)", () => {
    const out = [...scheduleOnPorts(frames([1514, 60, 60, 60, 1514, 60]), preset, 2, 25)];
    // Port 0 takes the first long frame; port 1 the short ones until it is behind port 0 again.
    expect(out.map((p) => [p.index, p.port])).toEqual([[1, 1], [2, 1], [3, 1], [0, 0], [5, 0], [4, 1]]);
    const t = (k: number) => out.find((p) => p.index === k)!.arrivalNs;
    expect(t(1)).toBeCloseTo(wire25(60), 9);
    expect(t(3)).toBeCloseTo(3 * wire25(60), 9);
    expect(t(0)).toBeCloseTo(wire25(1514), 9);
    expect(t(5)).toBeCloseTo(wire25(1514) + wire25(60), 9);
    expect(t(4)).toBeCloseTo(3 * wire25(60) + wire25(1514), 9);
  });

  it("never reorders beyond arrival time, loses no packet, and leaves no port idle", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 60, max: 1514 }), { minLength: 1, maxLength: 300 }), (lengths) => {
        const out = [...scheduleOnPorts(frames(lengths), preset, 2, 25)];
        expect(out.map((p) => p.index).sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
        for (let i = 1; i < out.length; i++) expect(out[i].arrivalNs).toBeGreaterThanOrEqual(out[i - 1].arrivalNs);
        // Back to back on each port: a port's k-th arrival is the sum of its first k wire times.
        for (const port of [0, 1]) {
          let clock = 0;
          for (const p of out.filter((x) => x.port === port).sort((a, b) => a.arrivalNs - b.arrivalNs)) {
            clock += wire25(lengths[p.index]);
            expect(p.arrivalNs).toBeCloseTo(clock, 6);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it("keeps a stream's own timestamps, from the first packet on", () => {
    const out = [...scheduleOnPorts([{ data: new Uint8Array(60), arrivalNs: 1_000 }, { data: new Uint8Array(60), arrivalNs: 1_700 }], preset, 2, 25)];
    expect(out.map((p) => [p.port, p.arrivalNs])).toEqual([[0, 0], [1, 700]]);
  });
});
