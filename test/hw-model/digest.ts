// Digests of whole simulations, for the regression test that keeps the model's
// results bit-identical across performance work: every field of every packet
// record (times as float64 bits), the run's summary and the maps' final state
// go through SHA-256. Scenarios cover one- and two-stage images, all three
// presets, array/hash/perf maps, the host stage, both ring policies, ingress
// and ring losses, faults of random programs, array and streamed input.
import { createHash, type Hash } from "node:crypto";
import fc from "fast-check";
import { assemble, loadPreset, simulate, protoCountImage, Executor, TraceWriter, MapRuntime, type NicImage, type PacketRecord, type PacketResult, type SimOptions, type SimPacket, type SimResult } from "../../hw-model/index.ts";
import { createMap } from "../../src/maps/create.ts";
import { MapType, type BpfMap } from "../../src/maps/types.ts";
import { fillServers, l4lbFrame, l4lbImage, L4LB_MAX_SERVERS, L4LB_VALUE_BYTES } from "../../hw-model/validation/l4lb.ts";
import { perfEventsImage } from "../../hw-model/validation/perf-events.ts";
import { arrayMap, hashMap, testParams } from "./helpers.ts";
import { randomProgram } from "./random-program.ts";

class Digest {
  private readonly h: Hash = createHash("sha256");
  private readonly scratch = new DataView(new ArrayBuffer(8));

  num(x: number): this {
    this.scratch.setFloat64(0, x);
    this.h.update(new Uint8Array(this.scratch.buffer));
    return this;
  }

  str(s: string | undefined): this {
    if (s === undefined) return this.num(-1);
    this.num(s.length);
    this.h.update(s);
    return this;
  }

  bytes(b: ArrayLike<number> | undefined): this {
    if (b === undefined) return this.num(-1);
    this.num(b.length);
    for (let i = 0; i < b.length; i++) this.num(b[i]);
    return this;
  }

  hex(): string {
    return this.h.digest("hex");
  }
}

function packetResult(d: Digest, r: PacketResult | undefined): void {
  if (!r) {
    d.num(-7);
    return;
  }
  const o = r.outcome;
  d.str(o.kind).num(o.stage);
  if (o.kind === "verdict") d.num(o.action);
  else if (o.kind === "host") d.bytes(o.registers).num(o.liveMask).bytes(o.localMemory).num(o.localMemoryOffset);
  else d.num(o.pc).str(o.message);
  d.bytes(r.data).num(r.perfEvents.length);
  for (const e of r.perfEvents) d.num(e.mapIndex).bytes(e.bytes);
  d.num(r.instructions).bytes(r.stagePath);
}

function record(d: Digest, r: PacketRecord): void {
  d.num(r.id).num(r.port).num(r.bytes).num(r.arrivalNs).num(r.startNs).num(r.endNs).str(r.fate).num(r.action).str(r.lostReason);
  d.num(r.stages.length);
  for (const s of r.stages) d.num(s.stage).num(s.core).num(s.thread).num(s.startNs).num(s.endNs);
  packetResult(d, r.result);
}

function summary(d: Digest, r: SimResult): void {
  d.str(r.preset).num(r.packets).num(r.records.length).num(r.processed);
  for (const k of Object.keys(r.lost).sort()) d.str(k).num(r.lost[k]);
  for (const k of Object.keys(r.fates).sort()) d.str(k).num(r.fates[k as keyof typeof r.fates]);
  d.num(r.durationNs).num(r.throughputPps).num(r.programPps).num(r.offeredPps);
  d.num(r.latencyNs.mean).num(r.latencyNs.p50).num(r.latencyNs.p99).num(r.latencyNs.max);
  for (const u of r.units) d.str(u.name).str(u.kind).num(u.busyCycles).num(u.utilization).num(u.commands).num(u.meanQueueCycles);
  for (const c of r.cores) d.num(c.core).num(c.island).num(c.stage).num(c.busyCycles).num(c.utilization).num(c.packets);
  d.bytes(r.threadOccupancy).num(r.lineUtilization).num(r.ingressUtilization).num(r.egressUtilization).num(r.hostUtilization);
  d.str(r.bottleneck.name).num(r.bottleneck.utilization);
}

function mapState(d: Digest, m: BpfMap): void {
  let key: Uint8Array | undefined;
  for (let i = 0; i <= m.def.maxEntries; i++) {
    key = m.getNextKey(key);
    if (!key) break;
    d.bytes(key).bytes(m.lookup(key, 0));
  }
}

// xorshift32: reproducible traffic without depending on Math.random.
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

// Mixed frames: IPv4 UDP/TCP/ICMP of 60..1514 bytes, some ARP, some runts.
function mixedFrame(r: () => number): Uint8Array {
  const kind = r();
  const length = kind < 0.05 ? 8 + Math.floor(r() * 40) : 60 + Math.floor(r() * r() * 1455);
  const p = new Uint8Array(length);
  for (let i = 0; i < length; i++) p[i] = Math.floor(r() * 256);
  if (length >= 14) {
    const arp = kind > 0.9;
    p[12] = 0x08;
    p[13] = arp ? 0x06 : 0x00;
    if (!arp && length >= 34) {
      p[14] = 0x45;
      p[20] = 0;
      p[21] = 0;
      p[23] = kind < 0.5 ? 17 : kind < 0.8 ? 6 : 1;
    }
  }
  return p;
}

export interface Scenario {
  readonly name: string;
  // The run's digest (records, summary, maps).
  run(): string;
}

function simDigest(preset: string, image: NicImage, packets: Iterable<SimPacket>, options: SimOptions, maps: readonly BpfMap[]): string {
  const d = new Digest();
  const streamed: PacketRecord[] = [];
  const r = simulate(loadPreset(preset), image, packets, { ...options, onPacket: (rec) => streamed.push(rec) });
  summary(d, r);
  for (const rec of r.records) record(d, rec);
  // onPacket order is completion order: part of the observable behaviour.
  for (const rec of streamed) record(d, rec);
  for (const m of maps) mapState(d, m);
  return d.hex();
}

const BENCH50 = (() => {
  const lines = ["csr_rd a0, data", "mem_rd x0, a0, #12, #2, s1, swap", "mem_rd x1, a0, #23, #1, s2, swap", "mov a1, x0", "mov b1, x1"];
  for (let i = 0; i < 44; i++) lines.push(["add a2, a1, b1", "xor b2, a2, #7", "shl a3, a2, #3", "sub b3, a3, b2"][i % 4]);
  lines.push("verdict drop");
  return lines.join("\n");
})();

// Stage 0 reads the EtherType (and a word past the CTM part of long packets), carries a0, a2 and 4 LM bytes;
// stage 1 counts in a hash map, sends long packets to the host, and drops or transmits the rest at random.
const TWO_STAGE_0 = `
    csr_rd    a0, pkt_len
    csr_rd    a1, data
    mem_rd    x0, a1, #12, #2, s1, swap
    mov       a2, x0
    immed     b1, #0
    lm_base   l0, b1
    lm_st     l0, #0, a0, #4
    immed     b2, #400
    sub       --, a0, b2
    blt       hand
    mem_rd    x1, a1, #340, #4, s2, swap
    mov       a3, x1
hand:
    handover  #1, #0x00000005, #0, #4
`;
const TWO_STAGE_1 = `
    immed     a3, #0
    immed_w1  a3, #0x3000
    fwcall    map_lookup a4, #0, a3
    sub       --, a4, #0
    beq       miss
    immed     x2, #1
    mem_add.le x2, a4, #0, #4, s3, swap
    br        next
miss:
    immed     b4, #4
    lm_base   l1, b4
    immed     b5, #1
    lm_st     l1, #0, b5, #4
    immed     a5, #0
    immed_w1  a5, #0x3000
    immed     b6, #4
    immed_w1  b6, #0x3000
    immed     b7, #0
    fwcall    map_update a6, #0, a5, b6, b7
next:
    immed     b8, #700
    sub       --, a0, b8
    blt       small
    to_host   #0x00000005, #0, #4
small:
    fwcall    random a7
    and       a7, a7, #3
    sub       --, a7, #0
    beq       drop
    verdict   tx
drop:
    verdict   drop
`;

const cores = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

export const scenarios: readonly Scenario[] = [
  {
    name: "bench50, nfp-4000, 8 cores, timed arrivals",
    run: () => {
      const frame = new Uint8Array(64);
      frame[12] = 0x08;
      frame[14] = 0x45;
      frame[23] = 17;
      const packets = Array.from({ length: 4000 }, (_, i) => ({ data: frame, arrivalNs: i * 17.5 }));
      return simDigest("nfp-4000", { stages: [{ program: assemble(BENCH50), cores: cores(8) }], maps: [] }, packets, {}, []);
    },
  },
  {
    name: "proto-count, nfp-4000-small, 3 cores, line rate, mixed traffic",
    run: () => {
      const r = rng(11);
      const counters = arrayMap(8, 256);
      const packets = Array.from({ length: 3000 }, () => ({ data: mixedFrame(r) }));
      return simDigest("nfp-4000-small", protoCountImage(counters, [0, 1, 2]), packets, { seed: 5 }, [counters]);
    },
  },
  {
    name: "proto-count, nfp-6000, 24 cores, streamed with ports",
    run: () => {
      const counters = arrayMap(8, 256);
      const gen = function* (): Generator<SimPacket> {
        const r = rng(23);
        for (let i = 0; i < 3000; i++) yield { data: mixedFrame(r), port: i % 3, arrivalNs: i * 9, ingressIfindex: 4 + (i % 3) };
      };
      return simDigest("nfp-6000", protoCountImage(counters, cores(24)), gen(), { keepRecords: false, rateGbps: 40, ports: 3 }, [counters]);
    },
  },
  {
    name: "l4lb, nfp-4000, 48 cores, 40G, one port",
    run: () => {
      const servers = createMap({ name: "servers", type: MapType.HASH, keySize: 4, valueSize: L4LB_VALUE_BYTES, maxEntries: L4LB_MAX_SERVERS, flags: 0 });
      fillServers(servers, 32);
      const packets = Array.from({ length: 3000 }, (_, i) => ({ data: l4lbFrame(i % 7 === 0 ? 700 : 124, i) }));
      return simDigest("nfp-4000", l4lbImage(servers, cores(48)), packets, { rateGbps: 40, ports: 1, seed: 9 }, [servers]);
    },
  },
  {
    name: "perf events, nfp-4000, 48 cores",
    run: () => {
      const events = createMap({ name: "events", type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 });
      events.sysUpdate?.(Uint8Array.of(0, 0, 0, 0), Uint8Array.of(3, 0, 0, 0), 0);
      const r = rng(3);
      const packets = Array.from({ length: 2000 }, () => ({ data: mixedFrame(r) }));
      return simDigest("nfp-4000", perfEventsImage(events, cores(48)), packets, {}, []);
    },
  },
  ...(["wait", "drop"] as const).map(
    (ringPolicy): Scenario => ({
      name: `two stages with a host stage, nfp-4000, ring policy ${ringPolicy}`,
      run: () => {
        const counts = hashMap(4, 4, 64);
        const r = rng(ringPolicy === "wait" ? 41 : 43);
        const packets = Array.from({ length: 3000 }, (_, i) => ({ data: mixedFrame(r), arrivalNs: i * 30 }));
        const image: NicImage = {
          stages: [
            { program: assemble(TWO_STAGE_0), cores: cores(6) },
            { program: assemble(TWO_STAGE_1), cores: [12, 13], ringCapacity: 8 },
          ],
          maps: [{ map: counts, unit: "emem0" }],
        };
        const host = {
          run: (h: { packet: Uint8Array; registers: Int32Array; liveMask: number }) => {
            const action = (h.registers[2] & 1) === 0 ? 2 : 1;
            const data = action === 2 ? h.packet.slice(0, Math.max(14, h.packet.length - 10)) : undefined;
            return { action, ...(data ? { data } : {}), costNs: 150 + h.packet.length / 4 };
          },
        };
        return simDigest("nfp-4000", image, packets, { ringPolicy, host, seed: 77 }, [counts]);
      },
    }),
  ),
  {
    name: "random programs, nfp-4000-small (faults included)",
    run: () => {
      const d = new Digest();
      const programs = fc.sample(fc.tuple(randomProgram(16), fc.array(fc.uint8Array({ minLength: 14, maxLength: 200 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 6 })), {
        seed: 1234,
        numRuns: 40,
      });
      for (const [program, datas, n] of programs) {
        const maps = [arrayMap(8, 4), hashMap(4, 8, 8), arrayMap(8, 4)];
        const image = { stages: [{ program, cores: cores(n) }], maps: [{ map: maps[0], unit: "imem0" }, { map: maps[1], unit: "emem0" }, { map: maps[2], unit: "cls0" }] };
        d.str(simDigest("nfp-4000-small", image, datas.map((data) => ({ data })), {}, maps));
      }
      return d.hex();
    },
  },
  {
    name: "executor alone on random two-stage programs (outcome, data, trace)",
    run: () => {
      const d = new Digest();
      const cases = fc.sample(fc.tuple(randomProgram(24), randomProgram(12), fc.array(fc.uint8Array({ minLength: 14, maxLength: 200 }), { minLength: 1, maxLength: 4 })), { seed: 99, numRuns: 400 });
      for (const [stage0, stage1, datas] of cases) {
        const maps = [arrayMap(8, 4), hashMap(4, 8, 8)];
        const exec = new Executor({ stages: [stage0, stage1], maps: maps.map((m) => new MapRuntime(m, 7, 1, 64, false)), pcieTarget: 9 }, testParams, 3);
        const trace = new TraceWriter();
        for (const data of datas) {
          packetResult(d, exec.runPacket({ data }, trace));
          d.bytes(trace.buf.subarray(0, trace.length));
        }
        for (const m of maps) mapState(d, m);
      }
      return d.hex();
    },
  },
];
