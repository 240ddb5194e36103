// The one result schema every view is made from (terminal, markdown, HTML) and
// that --json writes. Versioned: a reader checks `schema` and `version`; a
// change that removes or retypes a field bumps REPORT_VERSION. Field meanings
// are documented in docs/report-format.md. Times are nanoseconds, rates carry
// their unit in the name, utilisations are fractions 0..1 (a memory unit's may
// exceed 1 only if its own model counts overlapping work; see the doc).
import { check, t, type Infer, type ShapeError } from "./shape.ts";

export const REPORT_SCHEMA = "offload-sim/report";
export const REPORT_VERSION = 2;

const fraction = t.number({ min: 0 });
const count = t.integer({ min: 0 });
const ns = t.number({ min: 0 });

const tool = t.object({ name: t.literal("offload-sim"), version: t.string() });

const traffic = t.union(
  "kind",
  t.object({ kind: t.literal("pcap"), file: t.string(), format: t.nullable(t.oneOf(["pcap", "pcapng"])), replay: t.oneOf(["line-rate", "timestamps"]) }),
  t.object({ kind: t.literal("generator"), spec: t.string(), replay: t.oneOf(["line-rate", "timestamps"]) }),
);

const runInput = t.object({
  object: t.string(),
  program: t.string(),
  preset: t.string(),
  presetDescription: t.string(),
  cores: t.integer({ min: 1 }),
  traffic,
  // --packets, or null for the whole capture / the spec's count.
  packetLimit: t.nullable(count),
  ports: t.integer({ min: 1 }),
  lineRateGbps: t.number({ min: 0 }),
  maps: t.array(t.object({ map: t.string(), file: t.string() })),
  check: t.boolean(),
  partial: t.boolean(),
  seed: t.integer(),
});

const listingLine = t.object({
  pc: count,
  text: t.string(),
  // The C source line clang recorded for this instruction, if any.
  source: t.nullable(t.string()),
  // Stage index running it on the NIC; null when no NIC stage has code of its own for it
  // (the host part runs it, or the compiler folded it into a neighbour, e.g. an exit into the verdict).
  stage: t.nullable(count),
  // Times the host interpreter executed it over the profiled packets.
  hits: count,
});

const program = t.object({
  name: t.string(),
  section: t.string(),
  instructions: count,
  listing: t.array(listingLine),
  profiledPackets: count,
});

const stageRow = t.object({
  index: count,
  name: t.string(),
  cores: t.array(count),
  // eBPF instruction indexes [first, last] this stage runs (null when the plan does not say).
  ebpfRange: t.nullable(t.tuple(count, count)),
  microcodeInstructions: count,
  // Bytes carried into this stage from the one before (registers and stack).
  handoverBytes: count,
  predictedCyclesPerPacket: t.nullable(t.number({ min: 0 })),
  simulated: t.object({
    packets: count,
    meanServiceNs: t.nullable(ns),
    coreUtilization: fraction,
    threadOccupancy: fraction,
  }),
});

const mapPlacement = t.object({ map: t.string(), unit: t.string(), footprintBytes: count });

const offload = t.object({
  status: t.oneOf(["full", "partial"]),
  // Why parts stay on the host (empty when fully offloaded).
  reasons: t.array(t.string()),
  stages: t.array(stageRow),
  hostPart: t.nullable(t.object({ description: t.string(), ebpfRange: t.nullable(t.tuple(count, count)) })),
  maps: t.array(mapPlacement),
  predicted: t.nullable(t.object({ mpps: t.number({ min: 0 }), bottleneck: t.string() })),
});

const stageVisit = t.object({ stage: count, core: count, thread: count, startNs: ns, endNs: ns });

const timelinePacket = t.object({
  packet: count,
  bytes: count,
  arrivalNs: ns,
  endNs: ns,
  fate: t.oneOf(["wire", "host", "dropped", "lost"]),
  action: t.string(),
  stages: t.array(stageVisit),
});

const bottleneck = t.object({
  resource: t.string(),
  kind: t.oneOf(["line-rate", "memory-unit", "stage-cores", "stage-threads", "ingress", "egress", "pcie", "host", "none"]),
  utilization: fraction,
  sentence: t.string(),
});

const simulation = t.object({
  packets: t.object({ offered: count, processed: count, lost: count }),
  durationNs: ns,
  // Arrival rate of the traffic; null when undefined (fewer than two packets, or all arriving at one instant).
  offeredMpps: t.nullable(t.number({ min: 0 })),
  // Packets per second all ports carry at the line rate, for frames of the mean size processed.
  lineRateMpps: t.number({ min: 0 }),
  throughput: t.object({ mpps: t.number({ min: 0 }), gbps: t.number({ min: 0 }), frameGbps: t.number({ min: 0 }) }),
  latencyNs: t.object({
    mean: t.nullable(ns),
    p50: t.nullable(ns),
    p99: t.nullable(ns),
    p999: t.nullable(ns),
    max: t.nullable(ns),
    // Non-empty buckets [lowerNs, upperNs, packets] of the log-linear histogram.
    histogram: t.array(t.tuple(ns, ns, count)),
  }),
  // Packets by the XDP action that decided them ("XDP_PASS"...), lost packets excluded.
  actions: t.record(count),
  drops: t.array(t.object({ cause: t.string(), packets: count, description: t.string() })),
  cores: t.array(t.object({ core: count, island: count, stage: count, utilization: fraction, packets: count })),
  memoryUnits: t.array(t.object({ name: t.string(), kind: t.string(), utilization: fraction, commands: count, meanQueueNs: ns })),
  // Ingress ports carrying the offered frames, the packet engine, egress ports transmitting, host cores.
  paths: t.object({ line: fraction, ingress: fraction, egress: fraction, host: fraction }),
  bottleneck,
  timeline: t.array(timelinePacket),
});

const outcome = t.object({
  // "XDP_PASS", ..., "fault", or "lost" (never ran).
  action: t.string(),
  fault: t.nullable(t.string()),
  lengthBytes: count,
  hex: t.string(),
  events: t.array(t.string()),
});

const mismatch = t.object({
  packet: count,
  decoded: t.array(t.string()),
  hex: t.string(),
  nic: outcome,
  host: outcome,
  differences: t.array(t.string()),
  // The map differences (NIC vs host) right after this packet ran on both.
  mapDiff: t.array(t.string()),
});

// A checked run: one shape, the status telling which way it went.
const equivalenceChecked = (status: "identical" | "mismatch") =>
  t.object({
    status: t.literal(status),
    packetsCompared: count,
    packetsIdentical: count,
    packetsNotRun: count,
    firstMismatch: t.nullable(mismatch),
    maps: t.array(t.object({ map: t.string(), identical: t.boolean(), differences: t.array(t.string()) })),
  });
const equivalenceShape = t.union("status", t.object({ status: t.literal("skipped"), reason: t.string() }), equivalenceChecked("identical"), equivalenceChecked("mismatch"));

export const runResultShape = t.object({
  input: runInput,
  program,
  offload,
  simulation,
  equivalence: equivalenceShape,
});

const sweepPoint = t.object({
  cores: t.integer({ min: 1 }),
  frameBytes: t.integer({ min: 1 }),
  mpps: t.number({ min: 0 }),
  gbps: t.number({ min: 0 }),
  lineRateMpps: t.number({ min: 0 }),
  p99Ns: t.nullable(ns),
  offload: t.oneOf(["full", "partial"]),
  stages: count,
  // Cores the plan gave each stage.
  stageCores: t.array(count),
  bottleneck,
  equivalence: t.oneOf(["identical", "mismatch", "skipped"]),
  lost: count,
  // The busiest memory unit and stage, for the scaling analysis.
  busiestMemoryUnit: t.nullable(t.object({ name: t.string(), utilization: fraction })),
  busiestStageCores: t.nullable(t.object({ stage: count, utilization: fraction })),
});

const scaling = t.object({
  frameBytes: t.integer({ min: 1 }),
  // Core count after which adding cores gains less than the threshold (null: it scales over the whole range).
  stopsAtCores: t.nullable(t.integer({ min: 1 })),
  limit: t.oneOf(["line-rate", "memory-unit", "stage", "pcie", "host", "ingress", "none"]),
  sentence: t.string(),
});

const sweepInput = t.object({
  object: t.string(),
  program: t.string(),
  preset: t.string(),
  cores: t.array(t.integer({ min: 1 }), { minItems: 1 }),
  frameSizes: t.array(t.integer({ min: 1 }), { minItems: 1 }),
  traffic: t.string(),
  packets: t.integer({ min: 1 }),
  lineRateGbps: t.number({ min: 0 }),
  ports: t.integer({ min: 1 }),
  check: t.boolean(),
  workers: t.integer({ min: 1 }),
});

export const sweepResultShape = t.object({
  input: sweepInput,
  points: t.array(sweepPoint),
  scaling: t.array(scaling),
  // Failures of single points (a plan that does not fit, say): the grid goes on without them.
  failures: t.array(t.object({ cores: count, frameBytes: count, message: t.string() })),
});

export const reportShape = t.union(
  "kind",
  t.object({ schema: t.literal(REPORT_SCHEMA), version: t.literal(REPORT_VERSION), kind: t.literal("run"), tool, run: runResultShape }),
  t.object({ schema: t.literal(REPORT_SCHEMA), version: t.literal(REPORT_VERSION), kind: t.literal("sweep"), tool, sweep: sweepResultShape }),
);

export type Report = Infer<typeof reportShape>;
export type RunReport = Extract<Report, { kind: "run" }>;
export type SweepReport = Extract<Report, { kind: "sweep" }>;
export type RunResult = Infer<typeof runResultShape>;
export type SweepResult = Infer<typeof sweepResultShape>;
export type SweepPoint = SweepResult["points"][number];
export type Scaling = SweepResult["scaling"][number];
export type Simulation = RunResult["simulation"];
export type OffloadSummary = RunResult["offload"];
export type StageRow = OffloadSummary["stages"][number];
export type Equivalence = RunResult["equivalence"];
export type Mismatch = NonNullable<Extract<Equivalence, { status: "identical" | "mismatch" }>["firstMismatch"]>;
export type PacketOutcomeView = Mismatch["nic"];
export type Bottleneck = Simulation["bottleneck"];
export type TimelinePacket = Simulation["timeline"][number];
export type ListingLine = RunResult["program"]["listing"][number];
export type TrafficSource = RunResult["input"]["traffic"];

export function validateReport(value: unknown): readonly ShapeError[] {
  return check(reportShape.shape, value);
}
