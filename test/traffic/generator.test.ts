import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encodePcap } from "../../src/traffic/capture/pcap-writer.ts";
import { generateTraffic, type GeneratedPacket } from "../../src/traffic/gen/generator.ts";
import { decodePacket } from "../../src/traffic/packet/decode.ts";
import type { DecodedLayer } from "../../src/traffic/packet/decoded.ts";
import { describePacket } from "../../src/traffic/packet/describe.ts";

const take = (spec: string, packets: number, seed = 1n): GeneratedPacket[] => [...generateTraffic(spec, { packets, seed })];

// Whether the decoder finds anything wrong: a stop, a length that overreaches, a bad checksum.
function problems(packet: GeneratedPacket): string[] {
  const decoded = decodePacket(packet.data);
  const found: string[] = [];
  if (decoded.stop) found.push("stop");
  for (const layer of decoded.layers as DecodedLayer[]) {
    if ((layer.kind === "ipv4" || layer.kind === "ipv6") && layer.missingBytes > 0) found.push("missing bytes");
    if (layer.kind === "ipv4" && layer.expectedChecksum !== undefined) found.push("ip checksum");
    if ((layer.kind === "tcp" || layer.kind === "udp" || layer.kind === "icmp" || layer.kind === "icmpv6") && layer.checksumVerdict.kind === "bad") {
      found.push("transport checksum");
    }
    if (layer.kind === "udp" && layer.length !== decoded.layers.filter((l) => l.kind === "payload").reduce((n, l) => n + (l.kind === "payload" ? l.length : 0), 8)) {
      found.push("udp length");
    }
  }
  if (decoded.trailerLength > 0 && !packet.synFlood) found.push("trailer");
  return found;
}

describe("the traffic generator", () => {
  // Digests of the first 3,000 packets (as a pcap file: bytes and timestamps) taken at 8fa52b1, before the
  // generator was made faster: speed work must leave every byte the same for the same seed.
  it.each([
    ["udp flows=10000 size=64..1500", "bbaaeb1a73b8236ce58e4819ed48d8e3710aa00c82f20af5d6bdc17de9f628b9"],
    ["mix=tcp:0.5,udp:0.4,icmp:0.1 flows=500 size=imix zipf=1.2 malformed=0.1 synflood=0.1 vlan=0.3 ipv6=0.3", "f6d5916e99e2a52f11ca61fa32f2dde80ebaa9420d0bdff5ff471ca3a8a32631"],
  ])("produces the packets it produced before for %s", (spec, digest) => {
    const pcap = encodePcap(generateTraffic(spec, { packets: 3000, seed: 7n }));
    expect(createHash("sha256").update(pcap).digest("hex")).toBe(digest);
  });

  it("gives the same bytes and timestamps for the same seed, others for another seed", () => {
    const spec = "mix=tcp:0.5,udp:0.4,icmp:0.1 flows=500 size=imix zipf=1.2 malformed=0.1 synflood=0.1 vlan=0.3 ipv6=0.3";
    const first = encodePcap(generateTraffic(spec, { packets: 500, seed: 99n }));
    const again = encodePcap(generateTraffic(spec, { packets: 500, seed: 99n }));
    const other = encodePcap(generateTraffic(spec, { packets: 500, seed: 100n }));
    expect(Buffer.from(first).equals(Buffer.from(again))).toBe(true);
    expect(Buffer.from(first).equals(Buffer.from(other))).toBe(false);
  });

  it("is re-iterable and lazy: ten packets of a trillion come at once", () => {
    const traffic = generateTraffic("udp", { packets: 1e12 });
    let seen = 0;
    for (const packet of traffic) {
      expect(packet.index).toBe(seen);
      if (++seen === 10) break;
    }
    expect([...generateTraffic("udp count=3")].map((p) => p.index)).toEqual([0, 1, 2]);
  });

  it("takes count= and seed= from the spec unless the options override them", () => {
    expect(take("udp count=7", 7).length).toBe(7);
    expect([...generateTraffic("udp count=7", { packets: 2 })].length).toBe(2);
    const fromSpec = encodePcap(generateTraffic("udp flows=9 size=64..900 seed=5 count=20"));
    const fromOption = encodePcap(generateTraffic("udp flows=9 size=64..900 count=20", { seed: 5n }));
    expect(Buffer.from(fromSpec).equals(Buffer.from(fromOption))).toBe(true);
  });

  it("spaces frames back to back at line rate: 64-byte frames at 40 Gb/s every 16.8 ns", () => {
    // (64 + 8 preamble/SFD + 12 gap) * 8 = 672 bits; at 40e9 b/s, 16.8 ns each.
    take("udp size=64 rate=40G", 11).forEach((p, i) => expect(p.timestampNs).toBe(BigInt(Math.floor((i * 672) / 40))));
    // At 10 Gb/s: 67.2 ns, the 14.88 Mpps of 10GbE.
    expect(take("udp size=64 rate=10G", 1001)[1000].timestampNs).toBe(67200n);
    // 1518-byte frames at 10 Gb/s: (1518 + 20) * 8 = 12304 bits, 1230.4 ns.
    expect(take("udp size=1518 rate=10G", 6).map((p) => p.timestampNs)).toEqual([0n, 1230n, 2460n, 3691n, 4921n, 6152n]);
  });

  it("makes frames of the asked size, the FCS not captured", () => {
    expect(new Set(take("udp size=200", 20).map((p) => p.data.length))).toEqual(new Set([196]));
    const uniform = take("tcp size=100..120", 2000).map((p) => p.data.length + 4);
    expect(Math.min(...uniform)).toBe(100);
    expect(Math.max(...uniform)).toBe(120);
  });

  it("grows a frame too small for its headers to fit them", () => {
    // IPv6 + TCP behind a VLAN tag: 14 + 4 + 40 + 20 = 78 captured bytes, more than 64 - 4.
    for (const packet of take("tcp ipv6 vlan size=64", 5)) expect(packet.data.length).toBe(78);
  });

  it("draws the simple IMIX: 64, 594 and 1518-byte frames 7:4:1, mean 361.8 bytes", () => {
    const sizes = take("udp size=imix", 24000, 4n).map((p) => p.data.length + 4);
    const count = (n: number): number => sizes.filter((s) => s === n).length;
    expect(count(64) + count(594) + count(1518)).toBe(sizes.length);
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    // (7 * 64 + 4 * 594 + 1 * 1518) / 12 = 4342 / 12; the mean of 24000 draws has a standard deviation of about 2.7.
    expect(Math.abs(mean - 4342 / 12)).toBeLessThan(12);
    expect(Math.abs(count(64) / sizes.length - 7 / 12)).toBeLessThan(0.015);
  });

  it("gives the top flow of a Zipf law its share 1 / H(n, s)", () => {
    const flows = 1000;
    const exponent = 1.1;
    let harmonic = 0;
    for (let k = 1; k <= flows; k++) harmonic += k ** -exponent;
    const packets = take(`udp flows=${flows} zipf=${exponent}`, 40000, 8n);
    const top = packets.filter((p) => p.flowIndex === 0).length / packets.length;
    // 1 / H(1000, 1.1) = 0.1516...; the share of 40000 draws has a standard deviation of about 0.0018.
    expect(Math.abs(top - 1 / harmonic)).toBeLessThan(0.01);
  });

  it("spreads uniform popularity evenly and keeps each flow's 5-tuple", () => {
    const packets = take("mix=udp:1,tcp:1 flows=50", 5000);
    const tuples = new Map<number, string>();
    for (const packet of packets) {
      const [, ip, l4] = decodePacket(packet.data).layers;
      const tuple = JSON.stringify([ip, l4].map((l) => ("src" in l ? [l.src, l.dst] : "srcPort" in l ? [l.kind, l.srcPort, l.dstPort] : [])));
      const known = tuples.get(packet.flowIndex ?? -1);
      if (known !== undefined) expect(tuple).toBe(known);
      tuples.set(packet.flowIndex ?? -1, tuple);
    }
    expect(tuples.size).toBe(50);
    expect(new Set(tuples.values()).size).toBe(50);
    const perFlow = [...tuples.keys()].map((flow) => packets.filter((p) => p.flowIndex === flow).length);
    // Binomial(5000, 1/50): mean 100, standard deviation about 9.9.
    for (const count of perFlow) expect(Math.abs(count - 100)).toBeLessThan(50);
  });

  it("gives distinct 5-tuples to many flows", () => {
    const packets = take("udp flows=20000", 20000);
    const tuples = new Set(packets.map((p) => describePacket(p.data).replace(/ \/ payload.*/, "")));
    const flows = new Set(packets.map((p) => p.flowIndex));
    expect(tuples.size).toBe(flows.size);
  });

  it("follows the protocol mix, the IPv6 share and the VLAN share over flows", () => {
    const packets = take("mix=tcp:0.6,udp:0.3,icmp:0.1 flows=20000 ipv6=0.25 vlan=0.5", 20000, 11n);
    const share = (test: (layers: readonly DecodedLayer[]) => boolean): number => packets.filter((p) => test(decodePacket(p.data).layers)).length / packets.length;
    expect(Math.abs(share((l) => l.some((x) => x.kind === "tcp")) - 0.6)).toBeLessThan(0.03);
    expect(Math.abs(share((l) => l.some((x) => x.kind === "icmp" || x.kind === "icmpv6")) - 0.1)).toBeLessThan(0.02);
    expect(Math.abs(share((l) => l.some((x) => x.kind === "ipv6")) - 0.25)).toBeLessThan(0.03);
    expect(Math.abs(share((l) => l[1]?.kind === "vlan") - 0.5)).toBeLessThan(0.03);
  });

  it("floods SYNs from random sources at flow 0's destination", () => {
    const packets = take("udp flows=10 synflood=0.5", 4000, 2n);
    const flood = packets.filter((p) => p.synFlood);
    expect(Math.abs(flood.length / packets.length - 0.5)).toBeLessThan(0.04);
    const victim = decodePacket(packets.find((p) => p.flowIndex === 0)!.data).layers[1];
    const sources = new Set<string>();
    for (const packet of flood) {
      const [, ip, tcp] = decodePacket(packet.data).layers;
      expect(tcp).toMatchObject({ kind: "tcp", flags: 0x02 });
      expect(ip).toMatchObject({ dst: (victim as { dst: string }).dst });
      sources.add((ip as { src: string }).src);
      expect(packet.data.length).toBe(60);
    }
    expect(sources.size).toBeGreaterThan(flood.length * 0.99);
  });

  it("makes the malformed share of packets malformed, each in a way the decoder notices, and only those", () => {
    const packets = take("mix=tcp:0.4,udp:0.4,icmp:0.2 flows=100 size=64..1500 malformed=0.2 synflood=0.1 vlan=0.3 ipv6=0.3", 5000, 5n);
    const malformed = packets.filter((p) => p.malformation !== undefined);
    expect(Math.abs(malformed.length / packets.length - 0.2)).toBeLessThan(0.03);
    const kinds = new Set(malformed.map((p) => p.malformation));
    expect(kinds).toEqual(new Set(["truncated", "bad-length", "bad-checksum"]));
    for (const packet of packets) {
      const found = problems(packet);
      if (packet.malformation === undefined) expect(found, describePacket(packet.data)).toEqual([]);
      else expect(found.length, `${packet.malformation}: ${describePacket(packet.data)}`).toBeGreaterThan(0);
    }
  });
});
