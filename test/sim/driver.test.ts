import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { assemble, loadPreset, PROTO_COUNT_SOURCE, type NicImage } from "../../hw-model/index.ts";
import { assemble as assembleEbpf } from "../../src/ebpf/index.ts";
import { cloneMaps, dumpMap } from "../../src/maps/index.ts";
import { driveSimulation } from "../../src/sim/driver.ts";
import { openTraffic } from "../../src/sim/traffic-source.ts";
import { createPcapFileWriter, generateTraffic } from "../../src/traffic/index.ts";
import { countersMap, protoCountNic, protoCountProgram } from "./proto-count.ts";

const preset = loadPreset("nfp-4000");
const cores = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
// A mix of UDP and TCP over IPv4 offered at 1 Gb/s: far below what the card takes, so no packet is lost.
const LIGHT_MIX = "mix=udp:1,tcp:1 flows=32 size=64..256 rate=1G";

// IPv4 protocol of an Ethernet frame, read at the fixed offsets (EtherType at 12, RFC 791 protocol at 14 + 9).
function ipv4Protocol(frame: Uint8Array): number | undefined {
  if (frame.length < 34 || frame[12] !== 0x08 || frame[13] !== 0x00) return undefined;
  return frame[23];
}

function generated(spec: string, packets: number): Uint8Array[] {
  return [...generateTraffic(spec, { packets, seed: 1 })].map((p) => p.data);
}

// The counters map's value for a protocol, as the little-endian u64 the program adds to.
function counterOf(map: ReturnType<typeof countersMap>, protocol: number): bigint {
  const entry = dumpMap(map).entries.find((e) => e.key === protocol.toString(16).padStart(2, "0") + "000000");
  return entry?.value ? Buffer.from(entry.value, "hex").readBigUInt64LE(0) : 0n;
}

function runDemo(spec: string, packets: number, options: { image?: NicImage; counters?: ReturnType<typeof countersMap>; check?: boolean; coreCount?: number } = {}) {
  const counters = options.counters ?? countersMap();
  const image = options.image ?? protoCountNic(cores(options.coreCount ?? 4), counters).image;
  const [hostCounters] = cloneMaps([counters]);
  const result = driveSimulation(
    {
      preset,
      image,
      reference: { program: protoCountProgram(), maps: [hostCounters], programs: new Map() },
      nicMaps: [counters],
      check: options.check ?? true,
      seed: 1,
    },
    openTraffic({ kind: "generator", spec }, { packetLimit: packets, seed: 1 }),
  );
  return { result, counters, hostCounters };
}

// The demo microcode with one line changed.
function alteredImage(from: string, to: string): { image: NicImage; counters: ReturnType<typeof countersMap> } {
  if (!PROTO_COUNT_SOURCE.includes(from)) throw new Error(`the demo source has no '${from}'`);
  const counters = countersMap();
  return { counters, image: { stages: [{ name: "altered", program: assemble(PROTO_COUNT_SOURCE.replace(from, to), "altered.uc"), cores: cores(4) }], maps: [{ map: counters, unit: "imem0" }] } };
}

describe("simulation driver", () => {
  it("finds the offloaded demo identical to its eBPF twin, and its counts match the traffic", () => {
    const frames = generated(LIGHT_MIX, 600);
    const udp = frames.filter((f) => ipv4Protocol(f) === 17).length;
    const tcp = frames.filter((f) => ipv4Protocol(f) === 6).length;
    expect(udp + tcp).toBe(600);
    const { result, counters } = runDemo(LIGHT_MIX, 600);
    expect(result.equivalence).toMatchObject({ status: "identical", packetsCompared: 600, packetsIdentical: 600, packetsNotRun: 0 });
    expect(result.simulation.packets).toEqual({ offered: 600, processed: 600, lost: 0 });
    expect(result.simulation.actions).toEqual({ XDP_DROP: udp, XDP_PASS: tcp });
    expect(counterOf(counters, 17)).toBe(BigInt(udp));
    expect(counterOf(counters, 6)).toBe(BigInt(tcp));
  });

  it("catches microcode that drops TCP instead of UDP at the first TCP packet", () => {
    const frames = generated(LIGHT_MIX, 300);
    const firstTcp = frames.findIndex((f) => ipv4Protocol(f) === 6);
    const { image, counters } = alteredImage("sub       --, a2, #17", "sub       --, a2, #6");
    const { result } = runDemo(LIGHT_MIX, 300, { image, counters });
    expect(result.equivalence.status).toBe("mismatch");
    if (result.equivalence.status === "skipped") throw new Error("unreachable");
    const m = result.equivalence.firstMismatch!;
    expect(m.packet).toBe(firstTcp);
    expect(m.nic.action).toBe("XDP_DROP");
    expect(m.host.action).toBe("XDP_PASS");
    expect(m.differences).toContain("action: NIC XDP_DROP, host XDP_PASS");
    expect(m.hex).toBe(Buffer.from(frames[firstTcp]).toString("hex"));
    expect(m.decoded.join(" ")).toMatch(/TCP/i);
  });

  it("reports a counter the NIC adds to wrongly in the final maps, though every action agrees", () => {
    const { image, counters } = alteredImage("immed     x2, #1", "immed     x2, #2");
    const frames = generated(LIGHT_MIX, 200);
    const udp = frames.filter((f) => ipv4Protocol(f) === 17).length;
    const { result } = runDemo(LIGHT_MIX, 200, { image, counters });
    if (result.equivalence.status === "skipped") throw new Error("unreachable");
    expect(result.equivalence.status).toBe("mismatch");
    expect(result.equivalence.packetsIdentical).toBe(200);
    expect(result.equivalence.firstMismatch).toBeNull();
    const map = result.equivalence.maps.find((x) => x.map === "counters")!;
    expect(map.identical).toBe(false);
    // Key 17 (UDP) as 4 little-endian bytes: the NIC counted twice per packet.
    const line = map.differences.find((d) => d.startsWith("key 11000000"))!;
    const le64 = (n: number): string => Buffer.from(new BigUint64Array([BigInt(n)]).buffer).toString("hex");
    expect(line).toBe(`key 11000000: NIC ${le64(2 * udp)}, host ${le64(udp)}`);
  });

  it("keeps the host in the card's order while packets overtake each other at full load", () => {
    // Back to back at the line rate with one core: packets queue, some are lost at ingress, the rest finish out of order.
    const { result, counters } = runDemo("mix=udp:1,tcp:1 flows=32 size=64..512", 3_000, { coreCount: 1 });
    if (result.equivalence.status === "skipped") throw new Error("unreachable");
    expect(result.equivalence.status).toBe("identical");
    expect(result.equivalence.packetsCompared + result.equivalence.packetsNotRun).toBe(3_000);
    expect(counterOf(counters, 17) + counterOf(counters, 6)).toBe(BigInt(result.equivalence.packetsCompared));
  });

  it("offers a spec with rate= at that rate: 1 Gb/s of 64-byte frames is 1.488 Mpps", () => {
    // IEEE 802.3: a 64-byte frame takes 64 + 8 (preamble, SFD) + 12 (gap) = 84 bytes of wire time.
    const { result } = runDemo("udp size=64 rate=1G", 1_000);
    expect(result.simulation.offeredMpps).toBeCloseTo(1e9 / (84 * 8) / 1e6, 3);
    expect(result.simulation.throughput.mpps).toBeCloseTo(1e9 / (84 * 8) / 1e6, 1);
  });

  it("keeps up with two 4 Gb/s ports of 64-byte frames when the program only drops, and says the wire is the limit", () => {
    const image: NicImage = { stages: [{ name: "drop", program: assemble("verdict drop\n", "drop.uc"), cores: cores(8) }], maps: [] };
    // Each packet costs stage 0's core the firmware's 224 + 193 cycles at 800 MHz (hw-model/presets/nfp-4000.json, Krude et al.
    // CoNEXT '21): 8 cores take about 8 x 800e6 / 417 = 15.3 Mpps, more than two 4 Gb/s ports bring.
    const result = driveSimulation(
      { preset, image, reference: { program: assembleEbpf("r0 = 1\nexit\n"), maps: [], programs: new Map() }, nicMaps: [], check: true, rateGbps: 4, seed: 1 },
      openTraffic({ kind: "generator", spec: "udp size=64" }, { packetLimit: 10_000 }),
    );
    // 2 x 4e9 b/s / (84 bytes x 8) = 11.905 Mpps.
    const lineRateMpps = (2 * 4e9) / (84 * 8) / 1e6;
    expect(result.simulation.lineRateMpps).toBeCloseTo(lineRateMpps, 3);
    expect(Math.abs(result.simulation.throughput.mpps - lineRateMpps) / lineRateMpps).toBeLessThan(0.005);
    expect(result.simulation.bottleneck.kind).toBe("line-rate");
    expect(result.simulation.drops).toEqual([{ cause: "XDP_DROP", packets: 10_000, description: "the program returned XDP_DROP" }]);
  });

  it("with --no-check runs the host only on the profiled packets and compares nothing", () => {
    const { result } = runDemo(LIGHT_MIX, 1_500, { check: false });
    expect(result.equivalence.status).toBe("skipped");
    expect(result.profiledPackets).toBe(1_000);
  });

  describe("from a capture", () => {
    const dir = mkdtempSync(join(tmpdir(), "sim-driver-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("replays every packet of a pcap and stops at --packets", () => {
      const file = join(dir, "mix.pcap");
      const writer = createPcapFileWriter(file);
      for (const p of generateTraffic(LIGHT_MIX, { packets: 300, seed: 1 })) writer.write(p);
      writer.close();
      const counters = countersMap();
      const { image } = protoCountNic(cores(4), counters);
      const [hostCounters] = cloneMaps([counters]);
      const traffic = openTraffic({ kind: "pcap", file }, { packetLimit: 250 });
      expect(traffic.source).toEqual({ kind: "pcap", file, format: "pcap", replay: "line-rate" });
      const result = driveSimulation({ preset, image, reference: { program: protoCountProgram(), maps: [hostCounters], programs: new Map() }, nicMaps: [counters], check: true, seed: 1 }, traffic);
      expect(result.simulation.packets.offered).toBe(250);
      expect(result.equivalence.status).toBe("identical");
    });
  });
});
