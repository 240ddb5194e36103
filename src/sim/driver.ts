// The simulation driver: feeds a stream of packets to the NIC model (the
// functional executor and the timing model of hw-model/), collects every
// packet's outcome and timing, runs the same packets in the same order on the
// host interpreter and compares them, and sums it all up in the report's terms.
//
// The traffic is streamed through one simulate() call: packets are pulled one
// at a time from the capture or the generator, and a packet is forgotten once
// it has left the card and the host has run it. What is held at any time is the
// packets in flight on the card, so memory stays flat however long the run.
import { cyclesPerNs, loadImage, simulate, wireBytes, type HostStage, type LoadedImage, type NicImage, type PacketRecord, type Preset, type SimResult } from "../../hw-model/index.ts";
import type { SimMap } from "../maps/index.ts";
import type { HostPartReport } from "../offload/for-run.ts";
import type { Equivalence, Mismatch, Simulation, TimelinePacket } from "../report/schema.ts";
import { describePacket } from "../traffic/index.ts";
import { findBottleneck, type Resource } from "./bottleneck.ts";
import { SimInputError } from "./errors.ts";
import { HostReference, type HostReferenceSetup } from "./host-reference.ts";
import { compareMaps, type MapComparison } from "./map-compare.ts";
import { actionName, compareOutcomes, hostOutcome, nicOutcome, plainlyIdentical, toHex } from "./packet-compare.ts";
import { InOrder } from "./in-order.ts";
import { FeedPacket, PacketFeed } from "./packet-feed.ts";
import { TimingTotals } from "./timing-totals.ts";
import type { TrafficPacket } from "./traffic-source.ts";

// Packets shown in the report's timeline, from the middle of the run (the pipeline is full there).
export const TIMELINE_PACKETS = 10;
// The driver reports progress every this many packets read.
export const PROGRESS_EVERY_PACKETS = 4_096;
// Packets the host interpreter profiles (instruction hit counts) for the listing.
export const PROFILE_PACKETS = 1_000;

export interface DriverSetup {
  readonly preset: Preset;
  // The generated image; its map placements hold the NIC's maps, which the run changes.
  readonly image: NicImage;
  // The part of the program left on the host, for a partly offloaded program.
  readonly host?: HostStage;
  // Maps (image index) the NIC part reaches, whose firmware layout must follow what the host part changes (default: all).
  readonly nicMapIndexes?: readonly number[];
  // The program as the host runs it, on its own copy of the initial maps.
  readonly reference: HostReferenceSetup;
  // The NIC's maps in the program's (object) order, for the final comparison with reference.maps.
  readonly nicMaps: readonly SimMap[];
  // Compare every packet and the final maps (false: --no-check).
  readonly check: boolean;
  // Port rate (Gb/s); the preset's when undefined.
  readonly rateGbps?: number;
  readonly seed: number;
  // Packets the traffic will hold, when known (the timeline is taken from the middle).
  readonly expectedPackets?: number;
  readonly timelinePackets?: number;
  readonly profilePackets?: number;
  // Called now and then with the packets read so far.
  readonly onProgress?: (packetsDone: number) => void;
}

export interface StageTotals {
  readonly packets: number;
  readonly meanServiceNs: number | null;
  readonly coreUtilization: number;
  readonly threadOccupancy: number;
}

export interface DriverResult {
  readonly simulation: Simulation;
  readonly equivalence: Equivalence;
  readonly stages: readonly StageTotals[];
  // eBPF instruction hit counts over the profiled packets.
  readonly hits: Uint32Array;
  readonly profiledPackets: number;
  // Bytes each placed map occupies in its memory unit at the end of the run (image order).
  readonly mapFootprints: readonly number[];
  // Packets that left the NIC part for the host part (a partly offloaded program), of those the card ran.
  readonly hostPartPackets: number;
}

export function driveSimulation(setup: DriverSetup, traffic: Iterable<TrafficPacket>): DriverResult {
  const { preset } = setup;
  const timelineCount = setup.timelinePackets ?? TIMELINE_PACKETS;
  const profileLimit = setup.profilePackets ?? PROFILE_PACKETS;
  const rateGbps = setup.rateGbps ?? preset.ports.rateGbps;
  if (!(rateGbps > 0)) throw new SimInputError(`the line rate must be above 0 Gb/s, not ${rateGbps}.`);
  const ports = preset.ports.count;
  const loaded = loadImage(preset, setup.image);
  const host = setup.host ? syncingHostStage(setup.host, loaded.maps.filter((_, i) => setup.nicMapIndexes?.includes(i) ?? true)) : undefined;
  const nicMapNames = setup.image.maps.map((p) => p.map.def.name);
  const reference = new HostReference(setup.reference);
  reference.reseed(setup.seed);
  const totals = new TimingTotals();
  const check = new EquivalenceTally();
  const timeline = new TimelineSample(timelineCount, setup.expectedPackets);

  const feed = new PacketFeed(traffic, preset, ports, rateGbps, setup.onProgress, PROGRESS_EVERY_PACKETS);
  // The host runs the packets in the order the card admitted them, which is the order simulate() got them.
  const runHost = (record: PacketRecord): void => {
    checkOnHost(record, feed.packet(record.id));
    feed.release(record.id);
  };
  // Records that finish before an earlier packet's wait for it.
  const inOrder = new InOrder<PacketRecord>(runHost);

  const checkOnHost = (record: PacketRecord, packet: FeedPacket): void => {
    if (record.result === undefined) {
      check.notRun++;
      return;
    }
    const profile = reference.profiledPackets < profileLimit;
    if (!setup.check && !profile) return;
    const host = reference.run(packet.data, packet.port, profile);
    if (!setup.check) return;
    check.compared++;
    // The host stage in use is src/offload's (hostStageOf), whose report this is.
    const hostPart = record.hostReport as HostPartReport | undefined;
    if (plainlyIdentical(record.result, record.action, host, hostPart)) {
      check.identical++;
      return;
    }
    const nic = nicOutcome(record.result, record.action, nicMapNames, hostPart);
    const hostView = hostOutcome(host);
    const differences = compareOutcomes(nic, hostView);
    if (differences.length === 0) check.identical++;
    else if (check.first === undefined) {
      check.first = { packet: packet.index, decoded: [describePacket(packet.data)], hex: toHex(packet.data), nic, host: hostView, differences, mapDiff: [] };
    }
  };

  let hostPartPackets = 0;
  const onPacket = (record: PacketRecord): void => {
    totals.notePacket(record, wireBytes(preset, record.bytes));
    if (record.result?.outcome.kind === "host") hostPartPackets++;
    timeline.offer(record, feed.packet(record.id).index);
    inOrder.add(record);
  };

  // Packets go to simulate() in arrival order; simulate() numbers them in that order (record.id).
  const result = simulate(preset, loaded, { [Symbol.iterator]: () => feed }, {
    seed: setup.seed,
    rateGbps,
    keepRecords: false,
    ...(host ? { host } : {}),
    onPacket,
  });
  if (feed.read === 0) throw new SimInputError("the traffic holds no packets.");
  setup.onProgress?.(feed.read);

  const maps = setup.check ? setup.nicMaps.map((nicMap, i) => compareMaps(nicMap, setup.reference.maps[i])) : [];
  const stages = stageTotals(setup.image, result, totals);
  return {
    simulation: summarize(setup, result, totals, timeline.packets(), rateGbps, stages),
    equivalence: setup.check ? check.result(maps) : { status: "skipped", reason: "--no-check: the host interpreter did not run the packets" },
    stages,
    hits: reference.hits,
    profiledPackets: reference.profiledPackets,
    mapFootprints: loaded.maps.map((m) => m.footprintBytes()),
    hostPartPackets,
  };
}

// The host stage, followed by recounting the firmware's hash buckets of the NIC's maps whose keys come
// and go (the NIC's next lookups must see the entries the host added or deleted; an array's keys stay).
function syncingHostStage(stage: HostStage, runtimes: LoadedImage["maps"]): HostStage {
  const hashed = runtimes.filter((m) => m.hashed && m.kind !== "array");
  return {
    run(handoff) {
      const result = stage.run(handoff);
      for (const m of hashed) m.syncLayout();
      return result;
    },
  };
}

class EquivalenceTally {
  compared = 0;
  identical = 0;
  notRun = 0;
  first: Mismatch | undefined;

  result(maps: readonly MapComparison[]): Equivalence {
    const mapsDiffer = maps.some((m) => !m.identical);
    const status = this.identical === this.compared && !mapsDiffer ? "identical" : "mismatch";
    const first = this.first === undefined ? null : { ...this.first, mapDiff: maps.flatMap((m) => m.differences.map((line) => `map "${m.map}": ${line}`)) };
    return {
      status,
      packetsCompared: this.compared,
      packetsIdentical: this.identical,
      packetsNotRun: this.notRun,
      firstMismatch: first,
      maps: maps.map((m) => ({ map: m.map, identical: m.identical, differences: [...m.differences] })),
    };
  }
}

// A few consecutive packets that ran on the card, from the middle of the run
// when its length is known (else from packet 1000 on), or the last ones seen.
class TimelineSample {
  private readonly chosen: { record: PacketRecord; index: number }[] = [];
  // The last `count` packets seen, a ring (nothing allocated per packet): slot i holds recentRecords[i], recentIndexes[i].
  private readonly recentRecords: PacketRecord[] = [];
  private readonly recentIndexes: number[] = [];
  private recentNext = 0;
  private readonly from: number;

  constructor(
    private readonly count: number,
    expected: number | undefined,
  ) {
    this.from = expected === undefined ? 1_000 : Math.max(0, Math.floor(expected / 2) - Math.floor(count / 2));
  }

  // `index`: the packet's place in the traffic.
  offer(record: PacketRecord, index: number): void {
    if (record.stages.length === 0) return;
    if (index >= this.from && this.chosen.length < this.count) this.chosen.push({ record, index });
    if (this.count === 0) return;
    this.recentRecords[this.recentNext] = record;
    this.recentIndexes[this.recentNext] = index;
    this.recentNext = (this.recentNext + 1) % this.count;
  }

  packets(): TimelinePacket[] {
    const recent = this.recentRecords.map((record, i) => ({ record, index: this.recentIndexes[i] }));
    const sample = (this.chosen.length === this.count ? this.chosen : recent).slice().sort((a, b) => a.index - b.index);
    return sample.map(({ record: r, index }) => ({
      packet: index,
      bytes: r.bytes,
      arrivalNs: r.arrivalNs,
      endNs: r.endNs,
      fate: r.fate,
      action: r.fate === "lost" ? "lost" : r.result?.outcome.kind === "fault" ? "fault" : actionName(r.action),
      stages: r.stages.map((s) => ({ stage: s.stage, core: s.core, thread: s.thread, startNs: s.startNs, endNs: s.endNs })),
    }));
  }
}

function stageTotals(image: NicImage, result: SimResult, totals: TimingTotals): StageTotals[] {
  return image.stages.map((stage, i) => {
    const cores = result.cores.filter((c) => c.stage === i);
    const visits = totals.stageVisits[i];
    return {
      packets: visits?.count ?? 0,
      meanServiceNs: visits && visits.count > 0 ? visits.serviceNs / visits.count : null,
      coreUtilization: cores.length ? cores.reduce((sum, c) => sum + c.utilization, 0) / cores.length : 0,
      threadOccupancy: result.threadOccupancy[i] ?? 0,
    };
  });
}

const LOST_DESCRIPTIONS: Readonly<Record<string, string>> = {
  "ingress-full": "no room in the ingress buffer: packets arrived faster than the first stage took them",
  "host-ring-full": "no room in the host's receive ring: the host fell behind",
  fault: "the microcode faulted (an access the verifier should have ruled out)",
};

function lostDescription(cause: string): string {
  const ring = /^ring-full:stage(\d+)$/.exec(cause);
  if (ring) return `the ring into stage ${ring[1]} was full`;
  return LOST_DESCRIPTIONS[cause] ?? cause;
}

// XDP actions that end a packet's life on the card.
const DROPPING_ACTIONS: Readonly<Record<string, string>> = {
  XDP_DROP: "the program returned XDP_DROP",
  XDP_ABORTED: "the program returned XDP_ABORTED",
};

function summarize(setup: DriverSetup, result: SimResult, totals: TimingTotals, timeline: TimelinePacket[], rateGbps: number, stages: readonly StageTotals[]): Simulation {
  const { preset, image } = setup;
  const cpn = cyclesPerNs(preset);
  const durationNs = result.durationNs;
  const perSecond = durationNs > 0 ? 1e9 / durationNs : 0;
  const actions: Record<string, number> = {};
  for (const [code, n] of totals.actions) actions[actionName(code)] = (actions[actionName(code)] ?? 0) + n;
  const lostTotal = Object.values(result.lost).reduce((a, b) => a + b, 0);
  const drops = [
    ...Object.entries(DROPPING_ACTIONS)
      .filter(([name]) => (actions[name] ?? 0) > 0)
      .map(([name, description]) => ({ cause: name, packets: actions[name], description })),
    ...Object.entries(result.lost).map(([cause, packets]) => ({ cause, packets, description: lostDescription(cause) })),
  ];
  const resources: Resource[] = [
    ...result.units.filter((u) => u.commands > 0).map((u) => ({ name: u.name, kind: u.kind === "pcie" ? ("pcie" as const) : ("memory-unit" as const), utilization: u.utilization })),
    ...stages.map((s, i) => ({ name: `stage ${i} cores`, kind: "stage-cores" as const, utilization: s.coreUtilization, stage: i, cores: image.stages[i].cores.length })),
    ...stages.map((s, i) => ({ name: `stage ${i} threads`, kind: "stage-threads" as const, utilization: s.threadOccupancy, stage: i, cores: image.stages[i].cores.length })),
    { name: "ingress", kind: "ingress", utilization: result.ingressUtilization },
    { name: "egress ports", kind: "egress", utilization: result.egressUtilization },
    { name: "host cores", kind: "host", utilization: result.hostUtilization },
  ];
  // The timing model answers 0 when no rate exists (fewer than two arrivals, or all at one instant).
  const offeredMpps = result.offeredPps > 0 ? result.offeredPps / 1e6 : null;
  const meanWireBits = totals.processed > 0 ? (totals.processedWireBytes * 8) / totals.processed : 0;
  const lineRateMpps = meanWireBits > 0 ? ((rateGbps * preset.ports.count) / meanWireBits) * 1e3 : 0;
  const h = totals.latency;
  const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null);
  return {
    packets: { offered: totals.offered, processed: totals.processed, lost: lostTotal },
    durationNs,
    offeredMpps,
    lineRateMpps,
    throughput: {
      mpps: (totals.processed * perSecond) / 1e6,
      gbps: (totals.processedWireBytes * 8 * perSecond) / 1e9,
      frameGbps: (totals.processedFrameBytes * 8 * perSecond) / 1e9,
    },
    latencyNs: {
      mean: orNull(h.meanNs),
      p50: orNull(h.quantile(0.5)),
      p99: orNull(h.quantile(0.99)),
      p999: orNull(h.quantile(0.999)),
      max: orNull(h.max),
      histogram: h.buckets().map((b) => [b.lowerNs, b.upperNs, b.count] as const),
    },
    actions,
    drops,
    cores: result.cores.map((c) => ({ core: c.core, island: c.island, stage: c.stage, utilization: c.utilization, packets: c.packets })),
    memoryUnits: result.units.map((u) => ({ name: u.name, kind: u.kind, utilization: u.utilization, commands: u.commands, meanQueueNs: u.meanQueueCycles / cpn })),
    paths: { line: result.lineUtilization, ingress: result.ingressUtilization, egress: result.egressUtilization, host: result.hostUtilization },
    bottleneck: findBottleneck(resources, { offeredMpps, lineRateMpps, lostPackets: lostTotal }),
    timeline,
  };
}
