import { describe, expect, it } from "vitest";
import { loadPreset, presetNames, simulate, protoCountImage, assemble, wireBytes, type Preset, type SimPacket } from "../../hw-model/index.ts";
import { EventQueue } from "../../hw-model/timing/event-queue.ts";
import { arrayMap } from "./helpers.ts";

// Ethernet frame of `length` bytes with the given EtherType and, for IPv4, protocol.
function frame(length: number, etherType: number, protocol = 0): Uint8Array {
  const p = new Uint8Array(length);
  p[12] = etherType >> 8;
  p[13] = etherType & 0xff;
  if (length > 23) {
    p[14] = 0x45;
    p[23] = protocol;
  }
  return p;
}

// What the demo must do, worked out by hand from the packet bytes (independently of the microcode).
function handCheck(packets: readonly Uint8Array[]): { counts: Map<number, number>; actions: number[] } {
  const counts = new Map<number, number>();
  const actions = packets.map((p) => {
    if (p.length < 14) return 1;
    if (((p[12] << 8) | p[13]) !== 0x0800) return 2;
    if (p.length < 34) return 1;
    counts.set(p[23], (counts.get(p[23]) ?? 0) + 1);
    return p[23] === 17 ? 1 : 2;
  });
  return { counts, actions };
}

const mixed: Uint8Array[] = [
  frame(64, 0x0800, 6),
  frame(64, 0x0800, 17),
  frame(60, 0x0806),
  frame(12, 0x0800),
  frame(30, 0x0800, 6),
  frame(1500, 0x0800, 1),
  frame(64, 0x86dd),
  frame(128, 0x0800, 17),
  frame(64, 0x0800, 6),
  frame(34, 0x0800, 47),
];

const counterValue = (map: ReturnType<typeof arrayMap>, key: number): bigint => {
  const v = map.lookup(Uint8Array.of(key, 0, 0, 0), 0)!;
  return new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true);
};

describe("the demo program (parse Ethernet/IPv4, count per protocol, drop UDP) on every preset", () => {
  for (const name of presetNames()) {
    it(`gives the hand-checked actions and counters on ${name}`, () => {
      const preset = loadPreset(name);
      const counters = arrayMap(8, 256, "proto_counts");
      const traffic = Array.from({ length: 30 }, (_, i) => mixed[i % mixed.length]);
      const result = simulate(preset, protoCountImage(counters, [0, 1, 2, 3]), traffic.map((data) => ({ data })));
      const expected = handCheck(traffic);
      expect(result.records.map((r) => r.action)).toEqual(expected.actions);
      for (let proto = 0; proto < 256; proto++) expect(counterValue(counters, proto), `protocol ${proto}`).toBe(BigInt(expected.counts.get(proto) ?? 0));
      expect(result.fates.lost).toBe(0);
      // Dropped packets are freed on the card, passed ones reach the host.
      expect(result.fates.dropped).toBe(expected.actions.filter((a) => a === 1).length);
      expect(result.fates.host).toBe(expected.actions.filter((a) => a === 2).length);
    });
  }
});

describe("timing model", () => {
  const preset = loadPreset("nfp-4000");
  const udp = (n: number, length = 64): SimPacket[] => Array.from({ length: n }, () => ({ data: frame(length, 0x0800, 17) }));
  const run = (p: Preset, cores: number, packets: SimPacket[]) => simulate(p, protoCountImage(arrayMap(8, 256), Array.from({ length: cores }, (_, i) => i)), packets, { keepRecords: false });

  it("offers 64-byte frames at the Ethernet line rate: 25 Gb/s / (84 B * 8) = 37.2 Mpps per port", () => {
    // 64-byte frame on the wire: 60 B + 4 B FCS, + 8 B preamble + 12 B gap = 84 B (IEEE 802.3).
    expect(wireBytes(preset, 60)).toBe(84);
    const r = run(preset, 48, udp(4000, 60));
    expect(r.offeredPps / 1e6).toBeCloseTo((2 * 25e9) / (84 * 8) / 1e6, 0);
  });

  it("raises throughput with cores until the MAC's receive rate caps it, and says what saturated", () => {
    const rates = [1, 2, 4, 8, 16, 48].map((cores) => ({ cores, r: run(preset, cores, udp(6000)) }));
    for (let i = 1; i < rates.length; i++) expect(rates[i].r.throughputPps).toBeGreaterThanOrEqual(rates[i - 1].r.throughputPps * 0.99);
    // One core: it issues the firmware's 417 cycles per packet all the time (its threads mostly wait ready
    // for it, which is the core's limit, not theirs), packets back up and are lost at ingress.
    expect(rates[0].r.bottleneck.name).toBe("stage0 cores");
    expect(rates[0].r.lost["ingress-full"]).toBeGreaterThan(0);
    // Below the ingress limit the rate is proportional to the cores (Krude et al., CoNEXT '21, Figure 4).
    expect(rates[1].r.throughputPps / rates[0].r.throughputPps).toBeGreaterThan(1.8);
    // One core spends at least the firmware's 224 + 193 cycles on each packet, so it does at most
    // 800 MHz / 417 = 1.92 Mpps, whatever the program (Krude et al., §4.1: XDP_DROP at 1.92 Mpps per core).
    expect(rates[0].r.throughputPps).toBeLessThan(800e6 / 417);
    // All 48 cores: 2 x 25 GbE of these frames (64 B + 4 B FCS + 20 B preamble and gap) is 71.0 Mpps, but the
    // NFP-4000's MAC receives at most ~54.4 Mpps (Krude et al., §4.1, confirmed by Netronome): the rest is lost at ingress.
    const full = rates[rates.length - 1].r;
    expect(full.offeredPps / 1e6).toBeCloseTo((2 * 25e9) / (88 * 8) / 1e6, 0);
    expect(full.bottleneck.name).toBe("ingress");
    expect(full.lost["ingress-full"]).toBeGreaterThan(0);
    expect(full.throughputPps / 1e6).toBeLessThanOrEqual(54.4 * 1.001);
    expect(full.throughputPps / 1e6).toBeGreaterThan(54.4 * 0.9);
  });

  it("makes a shared memory unit the bottleneck when every packet hammers it", () => {
    // Every packet does 32 atomic adds to one map value in IMEM: at the 54.4 Mpps the MAC receives that is
    // 1.7 G atomics/s, twice the 800 M/s one atomic engine at 800 MHz retires, so it saturates.
    const src = `
      immed a0, #0
      lm_base l0, a0
      lm_st l0, #0, a0, #4
      immed a3, #0
      immed_w1 a3, #0x3000
      fwcall map_lookup a4, #0, a3
      immed x0, #1
${"      mem_add x0, a4, #0, #4, s1, swap\n".repeat(32)}      verdict drop`;
    const image = { stages: [{ program: assemble(src), cores: Array.from({ length: 48 }, (_, i) => i) }], maps: [{ map: arrayMap(4, 4), unit: "imem0" }] };
    const r = simulate(preset, image, udp(6000), { keepRecords: false });
    expect(r.bottleneck.name).toBe("imem0");
    const imem = r.units.find((u) => u.name === "imem0")!;
    // Busy all the time but while the run fills and drains (both inside the duration).
    expect(imem.utilization).toBeGreaterThan(0.9);
    // Queueing: commands wait at the unit, so its latency grew with load.
    expect(imem.meanQueueCycles).toBeGreaterThan(10);
    // The card no longer keeps up with the ports: packets back up and are lost at ingress.
    expect(r.lost["ingress-full"]).toBeGreaterThan(0);
  });

  it("times one packet as a hand calculation from the preset does", () => {
    // nfp-4000, one core, an idle card: packet engine 14.7 cycles; the thread (context 0, last ran 7) is
    // swapped in (2 cycles) and gets its ring entry from EMEM (1 cycle of service + 150 cycles, a cache
    // hit: no maps there); the firmware's per-packet work and queue selection take 224 + 193 cycles; then
    // csr_rd + mem_rd issue (2 cycles), the CTM read takes 1 + 50 cycles, the thread waits and resumes
    // without a swap (it is the last one that ran), and the verdict takes 1 cycle.
    // 14.7 + 2 + 151 + 417 + 2 + 51 + 1 = 638.7 cycles = 798.375 ns at 800 MHz; a thread takes it after the packet engine's 14.7 cycles.
    const image = { stages: [{ program: assemble("csr_rd a0, data\nmem_rd x0, a0, #12, #2, s1, swap\nverdict drop"), cores: [0] }], maps: [] };
    const r = simulate(preset, image, [{ data: frame(64, 0x0800) }]);
    const rec = r.records[0];
    expect(rec.endNs - rec.arrivalNs).toBeCloseTo(798.375, 6);
    expect(rec.startNs - rec.arrivalNs).toBeCloseTo(18.375, 6);
    expect(rec.fate).toBe("dropped");
  });

  it("reads packets lazily from any iterable, with the same result as from an array", () => {
    const make = function* (n: number): Generator<SimPacket> {
      for (let i = 0; i < n; i++) yield { data: frame(64, 0x0800, i % 2 ? 17 : 6) };
    };
    const fromArray = simulate(preset, protoCountImage(arrayMap(8, 256), [0, 1]), [...make(800)]);
    const seen: number[] = [];
    const fromStream = simulate(preset, protoCountImage(arrayMap(8, 256), [0, 1]), make(800), { keepRecords: false, onPacket: (r) => seen.push(r.id) });
    expect(fromStream.packets).toBe(800);
    expect(fromStream.throughputPps).toBe(fromArray.throughputPps);
    expect(fromStream.latencyNs).toEqual(fromArray.latencyNs);
    expect(new Set(seen).size).toBe(800);
  });

  it("is deterministic for a seed", () => {
    const a = run(preset, 8, udp(2000));
    const b = run(preset, 8, udp(2000));
    expect(a.throughputPps).toBe(b.throughputPps);
    expect(a.latencyNs).toEqual(b.latencyNs);
  });

  it("records arrival, start, end, stage, core and action per packet", () => {
    const r = simulate(preset, protoCountImage(arrayMap(8, 256), [5]), udp(3));
    for (const rec of r.records) {
      expect(rec.startNs).toBeGreaterThanOrEqual(rec.arrivalNs);
      expect(rec.endNs).toBeGreaterThan(rec.startNs);
      expect(rec.stages).toHaveLength(1);
      expect(rec.stages[0].core).toBe(5);
      expect(rec.action).toBe(1);
    }
  });

  it("charges the firmware's per-packet work once, on the first stage's core, not again after a handover", () => {
    // Krude et al. (CoNEXT '21, §4.1) give one firmware cost per packet, 224 cycles plus 193 of host-queue
    // selection; a later stage only gets its ring entry (1 issue cycle) and runs its own instructions.
    const stage0 = "csr_rd a0, pkt_len\nhandover #1, #0x00000001, #0, #0";
    const stage1 = "verdict drop";
    const image = {
      stages: [
        { program: assemble(stage0), cores: [0] },
        { program: assemble(stage1), cores: [12] },
      ],
      maps: [],
    };
    const r = simulate(preset, image, udp(20, 64));
    expect(r.fates.dropped).toBe(20);
    const perPacket = (core: number) => r.cores.find((c) => c.core === core)!.busyCycles / 20;
    // Stage 0: the firmware's 417 cycles, the ring get, two instructions and context swaps (2 cycles each).
    expect(perPacket(0)).toBeGreaterThanOrEqual(224 + 193 + 1 + 2);
    expect(perPacket(0)).toBeLessThan(224 + 193 + 1 + 2 + 3 * 2);
    // Stage 1: the ring get and the verdict, plus at most two swaps.
    expect(perPacket(12)).toBeGreaterThanOrEqual(1 + 1);
    expect(perPacket(12)).toBeLessThanOrEqual(1 + 1 + 2 * 2);
  });

  it("passes state through a two-stage pipeline and makes the downstream stage wait on a small ring", () => {
    const stage0 = "csr_rd a0, pkt_len\nhandover #1, #0x00000001, #0, #0";
    const stage1 = "sub --, a0, #64\nbeq keep\nverdict drop\nkeep: verdict tx";
    const image = {
      stages: [
        { program: assemble(stage0), cores: [0] },
        { program: assemble(stage1), cores: [12], ringCapacity: 2 },
      ],
      maps: [],
    };
    const r = simulate(preset, image, [...udp(50, 64), ...udp(50, 100)]);
    expect(r.records.filter((x) => x.fate === "wire")).toHaveLength(50);
    expect(r.records.every((x) => x.stages.map((s) => s.stage).join() === "0,1")).toBe(true);
    expect(r.fates.lost).toBe(0);
    const dropped = simulate(preset, image, udp(400, 64), { ringPolicy: "drop" });
    expect(dropped.lost["ring-full:stage1"] ?? 0).toBeGreaterThanOrEqual(0);
  });

  it("rejects a stage that does not fit the code store, naming the figure", () => {
    const big = assemble(Array.from({ length: 3100 }, () => "nop").join("\n") + "\nverdict drop");
    expect(() => simulate(preset, { stages: [{ program: big, cores: [0] }], maps: [] }, udp(1))).toThrow(/3101 instructions; nfp-4000 takes at most 3072/);
  });
});

describe("event queue", () => {
  it("pops events in time order, ties in push order", () => {
    const q = new EventQueue();
    const times = [5, 1, 9, 1, 3, 7, 5, 0, 2, 8];
    times.forEach((t, i) => q.push(t, 0, i, 0));
    const out: [number, number][] = [];
    while (q.pop()) out.push([q.popTime, q.popA]);
    const expected = times.map((t, i) => [t, i] as [number, number]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    expect(out).toEqual(expected);
  });
});
