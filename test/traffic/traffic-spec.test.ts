import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TrafficSpecError } from "../../src/traffic/errors.ts";
import { DEFAULT_SPEC, formatTrafficSpec, parseTrafficSpec, type TrafficSpec } from "../../src/traffic/gen/traffic-spec.ts";

describe("traffic spec", () => {
  it("reads the example of the docs", () => {
    const spec = parseTrafficSpec("udp flows=10000 size=64..1500 zipf=1.1 rate=40G");
    expect(spec).toMatchObject({
      mix: [{ protocol: "udp", share: 1 }],
      flowCount: 10000,
      size: { kind: "uniform", minFrameBytes: 64, maxFrameBytes: 1500 },
      popularity: { kind: "zipf", exponent: 1.1 },
      rateBitsPerSecond: 40e9,
    });
  });

  it("reads a protocol mix, normalizing weights, and protocol words as an even mix", () => {
    expect(parseTrafficSpec("mix=tcp:0.6,udp:0.3,icmp:0.1").mix).toEqual([
      { protocol: "udp", share: 0.3 },
      { protocol: "tcp", share: 0.6 },
      { protocol: "icmp", share: 0.1 },
    ]);
    expect(parseTrafficSpec("mix=tcp:3,udp:1").mix).toEqual([
      { protocol: "udp", share: 0.25 },
      { protocol: "tcp", share: 0.75 },
    ]);
    expect(parseTrafficSpec("tcp icmp").mix).toEqual([
      { protocol: "tcp", share: 0.5 },
      { protocol: "icmp", share: 0.5 },
    ]);
  });

  it("reads shares, percentages, rates, counts, seeds and flags", () => {
    const spec = parseTrafficSpec("ipv6 vlan=25% malformed=0.05 synflood=0.5 rate=2.5Gbps count=10 seed=18446744073709551615 size=imix");
    expect(spec).toMatchObject({
      ipv6Share: 1,
      vlanShare: 0.25,
      malformedShare: 0.05,
      synFloodShare: 0.5,
      rateBitsPerSecond: 2.5e9,
      packetCount: 10,
      seed: 18446744073709551615n,
      size: { kind: "imix" },
    });
    expect(parseTrafficSpec("vlan").vlanShare).toBe(1);
    expect(parseTrafficSpec("rate=100M").rateBitsPerSecond).toBe(1e8);
    expect(parseTrafficSpec("size=128").size).toEqual({ kind: "fixed", frameBytes: 128 });
  });

  it("gives the defaults for an empty spec", () => {
    expect(parseTrafficSpec("  ")).toEqual(DEFAULT_SPEC);
  });

  const rejected: [string, string][] = [
    ["udpp", '"udpp": expected a protocol'],
    ["flows=0", '"flows=0": expected a whole number of flows from 1 to 16777216'],
    ["flows=2.5", '"flows=2.5": expected a whole number of flows'],
    ["size=63", '"size=63": expected a frame size in bytes (FCS included) from 64 to 9216'],
    ["size=1500..64", '"size=1500..64": expected a range low..high with low no larger than high'],
    ["size=64..", '"size=64..": expected a frame size'],
    ["zipf=0", '"zipf=0": expected a Zipf exponent greater than 0'],
    ["mix=tcp:0.5,ftp:0.5", '"mix=tcp:0.5,ftp:0.5": expected protocol:weight pairs'],
    ["mix=tcp:0", '"mix=tcp:0": expected at least one protocol with a weight above 0'],
    ["mix=tcp:1,tcp:2", "tcp appears twice in the mix"],
    ["udp mix=tcp:1", '"mix=tcp:1": name protocols either as words or with mix=, not both'],
    ["malformed=1.5", '"malformed=1.5": expected a share from 0 to 1'],
    ["synflood=-0.1", '"synflood=-0.1": expected a share'],
    ["rate=fast", '"rate=fast": expected a line rate in bits per second'],
    ["rate=0", '"rate=0": expected a line rate'],
    ["count=-3", '"count=-3": expected a whole number of packets'],
    ["seed=x", '"seed=x": expected a seed'],
    ["flows=1 flows=2", '"flows=2": flows is already given earlier in the spec'],
    ["zipf=1 popularity=uniform", "popularity is already given"],
    ["colour=blue", '"colour=blue": unknown key "colour"'],
  ];
  for (const [text, message] of rejected) {
    it(`refuses "${text}" in one sentence naming the token`, () => {
      let caught: unknown;
      try {
        parseTrafficSpec(text);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(TrafficSpecError);
      const sentence = (caught as Error).message;
      expect(sentence).toContain(message);
      expect(sentence.startsWith("traffic spec: ")).toBe(true);
      expect(sentence.endsWith(".")).toBe(true);
    });
  }

  it("formats a spec so that parsing the text gives it back", () => {
    const share = fc.double({ min: 0, max: 1, noNaN: true });
    const specArbitrary: fc.Arbitrary<TrafficSpec> = fc.record({
      mix: fc
        .subarray(["udp", "tcp", "icmp"] as const, { minLength: 1 })
        .chain((protocols) =>
          fc.array(fc.integer({ min: 1, max: 100 }), { minLength: protocols.length, maxLength: protocols.length }).map((weights) => {
            const total = weights.reduce((a, b) => a + b, 0);
            return protocols.map((protocol, i) => ({ protocol, share: weights[i] / total }));
          }),
        ),
      ipv6Share: share,
      flowCount: fc.integer({ min: 1, max: 1 << 24 }),
      size: fc.oneof(
        fc.integer({ min: 64, max: 9216 }).map((frameBytes) => ({ kind: "fixed" as const, frameBytes })),
        fc.tuple(fc.integer({ min: 64, max: 9215 }), fc.integer({ min: 1, max: 100 })).map(([low, extra]) => ({
          kind: "uniform" as const,
          minFrameBytes: low,
          maxFrameBytes: Math.min(9216, low + extra),
        })),
        fc.constant({ kind: "imix" as const }),
      ),
      popularity: fc.oneof(fc.constant({ kind: "uniform" as const }), fc.double({ min: 0.01, max: 5, noNaN: true }).map((exponent) => ({ kind: "zipf" as const, exponent }))),
      malformedShare: share,
      synFloodShare: share,
      vlanShare: share,
      rateBitsPerSecond: fc.integer({ min: 1, max: 400e9 }),
      packetCount: fc.option(fc.integer({ min: 1, max: 1e9 }), { nil: undefined }),
      seed: fc.option(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { nil: undefined }),
    });
    fc.assert(
      fc.property(specArbitrary, (spec) => {
        expect(parseTrafficSpec(formatTrafficSpec(spec))).toEqual(spec);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses garbage in one TrafficSpecError, never anything else", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        try {
          parseTrafficSpec(text);
        } catch (err) {
          expect(err).toBeInstanceOf(TrafficSpecError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
