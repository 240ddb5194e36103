// The simulation driver: feeds a stream of packets to the NIC model (the
// functional executor and the timing model of hw-model/), collects every
// packet's outcome and timing, runs the same packets in the same order on the
// host interpreter and compares them, and sums it all up in the report's terms.
//
// The traffic is streamed in windows of `windowPackets`: hw-model's simulate()
// takes an array, so each window is one call on the same loaded image (the
// maps carry over from window to window), and only one window of packets is
// ever held. Each window starts with an empty pipeline; over a window of 16384
// packets the fill and drain this adds is a few microseconds in milliseconds.
import { cyclesPerNs, loadImage, simulate, wireBytes, type HostStage, type NicImage, type PacketRecord, type Preset, type SimPacket } from "../../hw-model/index.ts";
import type { SimMap } from "../maps/index.ts";
import type { Equivalence, Mismatch, Simulation, TimelinePacket } from "../report/schema.ts";
import { describePacket } from "../traffic/index.ts";
import { findBottleneck, type Resource } from "./bottleneck.ts";
import { SimInputError } from "./errors.ts";
import { FIRST_PORT_IFINDEX, HostReference, type HostReferenceSetup } from "./host-reference.ts";
import { compareMaps, type MapComparison } from "./map-compare.ts";
import { actionName, compareOutcomes, hostOutcome, nicOutcome, toHex } from "./packet-compare.ts";
import { TimingTotals } from "./timing-totals.ts";
import type { TrafficPacket } from "./traffic-source.ts";

export const DEFAULT_WINDOW_PACKETS = 16_384;
// Packets shown in the report's timeline, taken from the middle of the first window.
export const TIMELINE_PACKETS = 10;
// Packets the host interpreter profiles (instruction hit counts) for the listing.
export const PROFILE_PACKETS = 1_000;

export interface DriverSetup {
  readonly preset: Preset;
  // The generated image; its map placements hold the NIC's maps, which the run changes.
  readonly image: NicImage;
  // The part of the program left on the host, for a partly offloaded program.
  readonly host?: HostStage;
  // The program as the host runs it, on its own copy of the initial maps.
  readonly reference: HostReferenceSetup;
  // The NIC's maps in the program's (object) order, for the final comparison with reference.maps.
  readonly nicMaps: readonly SimMap[];
  // Compare every packet and the final maps (false: --no-check).
  readonly check: boolean;
  // Port rate (Gb/s); the preset's when undefined.
  readonly rateGbps?: number;
  readonly seed: number;
  readonly windowPackets?: number;
  readonly timelinePackets?: number;
  readonly profilePackets?: number;
  // Called after each window with the packets simulated so far.
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
}

interface WindowPacket {
  readonly data: Uint8Array;
  readonly port: number;
  readonly index: number;
}

export function driveSimulation(setup: DriverSetup, traffic: Iterable<TrafficPacket>): DriverResult {
  const { preset } = setup;
  const windowPackets = setup.windowPackets ?? DEFAULT_WINDOW_PACKETS;
  const timelineCount = setup.timelinePackets ?? TIMELINE_PACKETS;
  const profileLimit = setup.profilePackets ?? PROFILE_PACKETS;
  const rateGbps = setup.rateGbps ?? preset.ports.rateGbps;
  if (!(rateGbps > 0)) throw new SimInputError(`the line rate must be above 0 Gb/s, not ${rateGbps}.`);
  const ports = preset.ports.count;
  const loaded = loadImage(preset, setup.image);
  const nicMapNames = setup.image.maps.map((p) => p.map.def.name);
  const reference = new HostReference(setup.reference);
  const totals = new TimingTotals();
  const timeline: TimelinePacket[] = [];
  const check = new EquivalenceTally();

  let window: WindowPacket[] = [];
  let arrivals: (number | undefined)[] = [];
  let windowIndex = 0;
  let seen = 0;
  let previousEndNs = 0;
  let firstTimestampNs: number | undefined;

  const runWindow = (): void => {
    const seed = windowSeed(setup.seed, windowIndex);
    const base = arrivals[0] ?? 0;
    const simPackets: SimPacket[] = window.map((p, i) => ({
      data: p.data,
      port: p.port,
      ingressIfindex: FIRST_PORT_IFINDEX + p.port,
      rxQueueIndex: 0,
      ...(arrivals[i] === undefined ? {} : { arrivalNs: arrivals[i]! - base }),
    }));
    const records: PacketRecord[] = new Array(window.length);
    const result = simulate(preset, loaded, simPackets, {
      seed,
      rateGbps,
      keepRecords: false,
      ...(setup.host ? { host: setup.host } : {}),
      onPacket: (record) => {
        records[record.id] = record;
      },
    });
    let minArrival = Infinity;
    let maxArrival = -Infinity;
    for (const record of records) {
      totals.notePacket(record, wireBytes(preset, record.bytes));
      minArrival = Math.min(minArrival, record.arrivalNs);
      maxArrival = Math.max(maxArrival, record.arrivalNs);
    }
    // With timestamps, the card may sit idle between this window and the last one.
    const startNs = arrivals[0] === undefined ? previousEndNs : base;
    const gapNs = Math.max(0, startNs - previousEndNs);
    totals.noteWindow(result, Math.max(0, maxArrival - minArrival), windowIndex === 0 ? 0 : gapNs);
    previousEndNs = Math.max(previousEndNs, startNs) + result.durationNs;
    if (windowIndex === 0) timeline.push(...timelineOf(records, timelineCount));

    // The host runs the packets in the order the card admitted them (arrival time, then index).
    reference.reseed(seed);
    const ran = records.filter((r) => r.result !== undefined);
    ran.sort((a, b) => a.arrivalNs - b.arrivalNs || a.id - b.id);
    check.notRun += records.length - ran.length;
    for (const record of ran) {
      const profile = reference.profiledPackets < profileLimit;
      if (!setup.check && !profile) break;
      const packet = window[record.id];
      const host = reference.run(packet.data, packet.port, profile);
      if (!setup.check) continue;
      const nic = nicOutcome(record.result!, record.action, nicMapNames);
      const hostView = hostOutcome(host);
      const differences = compareOutcomes(nic, hostView);
      check.compared++;
      if (differences.length === 0) check.identical++;
      else if (check.first === undefined) {
        check.first = {
          packet: packet.index,
          decoded: [describePacket(packet.data)],
          hex: toHex(packet.data),
          nic,
          host: hostView,
          differences,
          mapDiff: [],
        };
      }
    }
    seen += window.length;
    windowIndex++;
    window = [];
    arrivals = [];
    setup.onProgress?.(seen);
  };

  for (const packet of traffic) {
    const index = seen + window.length;
    if (packet.arrivalNs !== undefined && firstTimestampNs === undefined) firstTimestampNs = packet.arrivalNs;
    window.push({ data: packet.data, port: index % ports, index });
    arrivals.push(packet.arrivalNs === undefined ? undefined : packet.arrivalNs - (firstTimestampNs ?? 0));
    if (window.length >= windowPackets) runWindow();
  }
  if (window.length > 0) runWindow();
  if (seen === 0) throw new SimInputError("the traffic holds no packets.");

  const maps = setup.check ? setup.nicMaps.map((nicMap, i) => compareMaps(nicMap, setup.reference.maps[i])) : [];
  const stages = stageTotals(setup.image, totals);
  return {
    simulation: summarize(setup, totals, timeline, rateGbps, windowPackets, stages),
    equivalence: setup.check ? check.result(maps) : { status: "skipped", reason: "--no-check: the host interpreter did not run the packets" },
    stages,
    hits: reference.hits,
    profiledPackets: reference.profiledPackets,
    mapFootprints: loaded.maps.map((m) => m.footprintBytes()),
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

// A different random seed per window (the NIC's executor restarts its random source with each call).
function windowSeed(seed: number, window: number): number {
  const mixed = (seed + Math.imul(window, 0x9e3779b9)) | 0;
  return mixed === 0 ? 1 : mixed;
}

// Packets that ran on the card, from the middle of the window on (the pipeline is full there).
function timelineOf(records: readonly PacketRecord[], count: number): TimelinePacket[] {
  const middle = Math.floor(records.length / 2);
  const ran = [...records.slice(middle), ...records.slice(0, middle)].filter((r) => r.stages.length > 0).slice(0, count);
  ran.sort((a, b) => a.id - b.id);
  return ran.map((r) => ({
    packet: r.id,
    bytes: r.bytes,
    arrivalNs: r.arrivalNs,
    endNs: r.endNs,
    fate: r.fate,
    action: r.fate === "lost" ? "lost" : r.result?.outcome.kind === "fault" ? "fault" : actionName(r.action),
    stages: r.stages.map((s) => ({ stage: s.stage, core: s.core, thread: s.thread, startNs: s.startNs, endNs: s.endNs })),
  }));
}

function stageTotals(image: NicImage, totals: TimingTotals): StageTotals[] {
  return image.stages.map((stage, i) => {
    const cores = stage.cores.map((c) => totals.cores.get(c));
    const busy = cores.reduce((sum, c) => sum + (c?.busyNs ?? 0), 0);
    const visits = totals.stageVisits[i];
    return {
      packets: visits?.count ?? 0,
      meanServiceNs: visits && visits.count > 0 ? visits.serviceNs / visits.count : null,
      coreUtilization: totals.utilization(busy) / stage.cores.length,
      threadOccupancy: totals.utilization(totals.stageThreadBusyNs[i] ?? 0),
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

function summarize(setup: DriverSetup, totals: TimingTotals, timeline: TimelinePacket[], rateGbps: number, windowPackets: number, stages: readonly StageTotals[]): Simulation {
  const { preset, image } = setup;
  const cpn = cyclesPerNs(preset);
  const durationNs = totals.durationNs;
  const perSecond = durationNs > 0 ? 1e9 / durationNs : 0;
  const actions: Record<string, number> = {};
  for (const [code, n] of totals.actions) actions[actionName(code)] = (actions[actionName(code)] ?? 0) + n;
  const drops = [
    ...Object.entries(DROPPING_ACTIONS)
      .filter(([name]) => (actions[name] ?? 0) > 0)
      .map(([name, description]) => ({ cause: name, packets: actions[name], description })),
    ...[...totals.lost].map(([cause, packets]) => ({ cause, packets, description: lostDescription(cause) })),
  ];
  const units = [...totals.units.values()];
  const cores = [...totals.cores.values()].sort((a, b) => a.core - b.core);
  const resources: Resource[] = [
    ...units.filter((u) => u.commands > 0).map((u) => ({ name: u.name, kind: u.kind === "pcie" ? ("pcie" as const) : ("memory-unit" as const), utilization: totals.utilization(u.busyNs) })),
    ...stages.map((s, i) => ({ name: `stage ${i} cores`, kind: "stage-cores" as const, utilization: s.coreUtilization, stage: i, cores: image.stages[i].cores.length })),
    ...stages.map((s, i) => ({ name: `stage ${i} threads`, kind: "stage-threads" as const, utilization: s.threadOccupancy, stage: i, cores: image.stages[i].cores.length })),
    { name: "ingress", kind: "ingress", utilization: totals.utilization(totals.ingressBusyNs) },
    { name: "egress ports", kind: "egress", utilization: totals.utilization(totals.egressBusyNs) },
    { name: "host cores", kind: "host", utilization: totals.utilization(totals.hostBusyNs) },
  ];
  const offeredMpps = totals.offeredSpanNs > 0 ? (totals.offeredIntervals / totals.offeredSpanNs) * 1e3 : 0;
  const meanWireBits = totals.processed > 0 ? (totals.processedWireBytes * 8) / totals.processed : 0;
  const lineRateMpps = meanWireBits > 0 ? ((rateGbps * preset.ports.count) / meanWireBits) * 1e3 : 0;
  const h = totals.latency;
  const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null);
  return {
    packets: { offered: totals.offered, processed: totals.processed, lost: totals.lostTotal() },
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
    cores: cores.map((c) => ({ core: c.core, island: c.island, stage: c.stage, utilization: totals.utilization(c.busyNs), packets: c.packets })),
    memoryUnits: units.map((u) => ({
      name: u.name,
      kind: u.kind,
      utilization: totals.utilization(u.busyNs),
      commands: u.commands,
      meanQueueNs: u.commands > 0 ? u.queueCyclesTotal / u.commands / cpn : 0,
    })),
    paths: {
      ingress: totals.utilization(totals.ingressBusyNs),
      egress: totals.utilization(totals.egressBusyNs),
      host: totals.utilization(totals.hostBusyNs),
    },
    bottleneck: findBottleneck(resources, { offeredMpps, lineRateMpps, lostPackets: totals.lostTotal() }),
    timeline,
    windows: { packetsPerWindow: windowPackets, count: totals.windows },
  };
}
