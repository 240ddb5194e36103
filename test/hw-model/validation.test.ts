import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { runValidation, validationTableMarkdown, validationCases, errorPercent } from "../../hw-model/validation/cases.ts";
import { sectionOf } from "../../hw-model/describe.ts";
import { l4lbFrame, l4lbImage, fillServers, L4LB_MAX_SERVERS, L4LB_VALUE_BYTES, DEST_PKTS, DEST_BYTES } from "../../hw-model/validation/l4lb.ts";
import { loadPreset, loadImage, Executor, execParamsOf, simulate, wireBytes, totalCores } from "../../hw-model/index.ts";
import { atomicChainSource, dramProbeImage, lookupChainSource, MAX_ATOMIC_CHAIN } from "../../hw-model/validation/dram-probes.ts";
import { xdpDropImage } from "../../hw-model/validation/xdp-drop.ts";
import { createMap } from "../../src/maps/create.ts";
import { MapType } from "../../src/maps/types.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

// RFC 791 header checksum: one's complement of the one's-complement sum of the 16-bit words.
function ipChecksum(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += (header[i] << 8) | header[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

describe("docs/validation.md", () => {
  let rows: ReturnType<typeof runValidation> | undefined;
  const validation = () => (rows ??= runValidation());

  it("holds the table the presets and validation programs give today", () => {
    const doc = readFileSync(new URL("../../docs/validation.md", import.meta.url), "utf8");
    expect(sectionOf(doc, "validation"), "run: node bin/run-ts.js hw-model/validation/write-doc.ts").toBe(validationTableMarkdown(validation()));
  });

  it("explains every miss over 25%", () => {
    for (const row of validation()) if (Math.abs(row.errorPercent) > 25) expect(row.missReason, row.id).toBeTruthy();
  });

  it("scores bounds as bounds", () => {
    expect(errorPercent({ value: 5, unit: "", kind: "at least", source: "" }, 6)).toBe(0);
    expect(errorPercent({ value: 0.5, unit: "", kind: "at most", source: "" }, 1)).toBeCloseTo(100);
    expect(errorPercent({ value: 10, unit: "", kind: "point", source: "" }, 9)).toBeCloseTo(-10);
  });

  it("derives the l4lb frame size from the README's two totals", () => {
    const l4lb = validationCases.find((c) => c.id === "l4lb-40g")!;
    expect(l4lb.published.source).toContain("33,026,761");
    // 38,046,848,592 bit/s / 33,026,761 packet/s = 1152 bits = 144 bytes; minus the 20-byte outer header.
    expect(Math.round(38046848592 / 33026761 / 8) - 20).toBe(124);
  });
});

describe("the l4lb validation program", () => {
  const preset = loadPreset("nfp-4000");
  const servers = () => {
    const m = createMap({ name: "servers", type: MapType.HASH, keySize: 4, valueSize: L4LB_VALUE_BYTES, maxEntries: L4LB_MAX_SERVERS, flags: 0 });
    fillServers(m, 32);
    return m;
  };

  it("encapsulates in IPv4 as l4lb_xdp.c does: new Ethernet header, outer header with a valid checksum, counters", () => {
    const map = servers();
    const exec = new Executor(loadImage(preset, l4lbImage(map, [0])).exec, execParamsOf(preset), 1);
    const frame = l4lbFrame(124, 7);
    const r = exec.runPacket({ data: frame });
    expect(r.outcome).toEqual({ kind: "verdict", action: 3, stage: 0 });
    const out = r.data;
    expect(out.length).toBe(144);
    // Inner packet unchanged after the 34 new bytes.
    expect(hex(out.subarray(34))).toBe(hex(frame.subarray(14)));
    // Ethernet: destination = the server's MAC (02:00:00:00:00:d), source = the old destination, IPv4.
    const destination = out[32];
    expect(hex(out.subarray(0, 6))).toBe(`0200000000${destination.toString(16).padStart(2, "0")}`);
    expect(hex(out.subarray(6, 14))).toBe(hex(frame.subarray(0, 6)) + "0800");
    // Outer IPv4: version 4, ihl 5, total length 110 + 20, ttl 8, protocol 4 (IP-in-IP), 10.0.0.1 -> 10.0.d.2.
    const outer = out.subarray(14, 34);
    expect(hex(outer.subarray(0, 4))).toBe("45000082");
    expect([outer[8], outer[9]]).toEqual([8, 4]);
    expect(hex(outer.subarray(12, 20))).toBe(`0a0000010a00${destination.toString(16).padStart(2, "0")}02`);
    const zeroed = outer.slice();
    zeroed[10] = zeroed[11] = 0;
    expect((outer[10] << 8) | outer[11]).toBe(ipChecksum(zeroed));
    // The chosen server's counters: one packet of 144 bytes.
    let found = 0;
    for (let k = 0; k < L4LB_MAX_SERVERS; k++) {
      const v = map.lookup(Uint8Array.of(k & 0xff, k >> 8, 0, 0), 0)!;
      const dv = new DataView(v.buffer, v.byteOffset);
      if (dv.getBigUint64(DEST_PKTS, true) > 0n) {
        found++;
        expect(dv.getBigUint64(DEST_PKTS, true)).toBe(1n);
        expect(dv.getBigUint64(DEST_BYTES, true)).toBe(144n);
        expect(v[29]).toBe(destination);
      }
    }
    expect(found).toBe(1);
  });

  it("runs at the 40 GbE line rate and loses some transmits at egress, as the docs say", () => {
    const packets = Array.from({ length: 8000 }, (_, i) => ({ data: l4lbFrame(124, i) }));
    const r = simulate(preset, l4lbImage(servers(), Array.from({ length: 48 }, (_, i) => i)), packets, { keepRecords: false, rateGbps: 40, ports: 1 });
    // 124-byte frames: 128 with FCS + 20 of preamble and gap = 148 bytes on the wire; the encapsulated
    // ones take 168, more than the port can send, so the 512-frame egress queue overflows after
    // about 512 / (1 - 148/168) = 4300 packets.
    expect(r.offeredPps / 1e6).toBeCloseTo(40e9 / (148 * 8) / 1e6, 1);
    expect(r.lost["egress-full"]).toBeGreaterThan(0);
    expect(r.lost["ingress-full"] ?? 0).toBe(0);
  });
});

describe("the rows' setups", () => {
  const row = (id: string) => validationCases.find((c) => c.id === id)!;

  it("has at least five published measurements, each naming where its figure is", () => {
    expect(validationCases.length).toBeGreaterThanOrEqual(5);
    for (const c of validationCases) expect(c.published.source, c.id).toMatch(/§|README|commit/);
  });

  it("overloads the Agilio CX 2x40 in the Krude et al. rows: 2 x 40 Gb/s of 64-byte frames is 119 Mpps, above the 54.4 Mpps MAC limit", () => {
    const preset = loadPreset("nfp-4000");
    // IEEE 802.3: 60 B + 4 B FCS + 8 B preamble + 12 B gap = 84 B on the wire per minimum frame.
    expect(wireBytes(preset, 60)).toBe(84);
    expect((2 * 40e9) / (84 * 8) / 1e6).toBeGreaterThan(row("krude-mac-limit").published.value);
  });

  it("takes the 10-core XDP_DROP figure from the paper's per-core slope, on the proportional part below the MAC limit", () => {
    const c = row("krude-drop-10-cores");
    expect(c.published.source).toContain("1.918727 Mpps per core");
    expect(c.published.value).toBeCloseTo(10 * 1.918727, 6);
    expect(c.published.value).toBeLessThan(row("krude-mac-limit").published.value);
  });

  it("uses the midpoints of the paper's DRAM ranges (197.4-199.7 M reads/s, 248.5-250.5 M adds/s)", () => {
    expect(row("krude-dram-reads").published.value).toBeCloseTo((197.4 + 199.7) / 2, 1);
    expect(row("krude-dram-atomics").published.value).toBeCloseTo((248.5 + 250.5) / 2, 1);
  });

  it("runs the all-core rows on every core of the preset", () => {
    expect(totalCores(loadPreset("nfp-4000"))).toBe(48);
    for (const id of ["hxdp-drop", "krude-mac-limit", "krude-dram-reads", "krude-dram-atomics"]) expect(row(id).cores, id).toMatch(/^all \(48/);
  });
});

describe("the validation programs behave as the published ones", () => {
  const preset = loadPreset("nfp-4000");
  const params = execParamsOf(preset);
  const frame = new Uint8Array(60);
  frame[12] = 0x08;
  const table = (words: number, nonZero?: number) => {
    const m = createMap({ name: "table", type: MapType.ARRAY, keySize: 4, valueSize: words * 4, maxEntries: 1, flags: 0 });
    const v = new Uint8Array(words * 4);
    if (nonZero !== undefined) v[nonZero * 4] = 1;
    m.update(new Uint8Array(4), v, 0, 0);
    return m;
  };
  const execFor = (image: Parameters<typeof loadImage>[1]) => new Executor(loadImage(preset, image).exec, params, 1);

  it("xdp-drop drops every packet", () => {
    expect(execFor(xdpDropImage([0])).runPacket({ data: frame }).outcome).toEqual({ kind: "verdict", action: 1, stage: 0 });
  });

  it("lookupN returns XDP_DROP at the first non-zero word of value[0..N-1] and XDP_PASS when all are zero, as xdp-lookupN.c", () => {
    const run = (m: ReturnType<typeof table>) => execFor(dramProbeImage("lookup8", lookupChainSource(8), m, [0])).runPacket({ data: frame }).outcome;
    expect(run(table(8))).toEqual({ kind: "verdict", action: 2, stage: 0 });
    expect(run(table(8, 7))).toEqual({ kind: "verdict", action: 1, stage: 0 });
    expect(run(table(8, 0))).toEqual({ kind: "verdict", action: 1, stage: 0 });
  });

  it("lookupN makes all N reads when only the last word is set (the row counts N reads per packet)", () => {
    // Each read, compare and branch is three instructions; one fewer read when word N-2 is set instead.
    const m8 = table(8, 7);
    const m7 = table(8, 6);
    const full = execFor(dramProbeImage("lookup8", lookupChainSource(8), m8, [0])).runPacket({ data: frame });
    const short = execFor(dramProbeImage("lookup8", lookupChainSource(8), m7, [0])).runPacket({ data: frame });
    expect(full.instructions - short.instructions).toBe(3);
  });

  it("incN adds 5 to word 0 N times per packet and passes it, as xdp-inc.sh", () => {
    const m = table(1);
    const exec = execFor(dramProbeImage("inc10", atomicChainSource(10), m, [0]));
    for (let i = 0; i < 3; i++) expect(exec.runPacket({ data: frame }).outcome).toEqual({ kind: "verdict", action: 2, stage: 0 });
    // Three packets x ten adds x 5 = 150, little-endian as the host keeps map values.
    const v = m.lookup(new Uint8Array(4), 0)!;
    expect(new DataView(v.buffer, v.byteOffset).getUint32(0, true)).toBe(150);
  });

  it("rejects chains the microcode cannot express", () => {
    expect(() => lookupChainSource(0)).toThrow(RangeError);
    expect(() => atomicChainSource(MAX_ATOMIC_CHAIN + 1)).toThrow(RangeError);
  });
});
