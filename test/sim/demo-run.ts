// A whole RunResult made from the hw-model demo (hand-written microcode) and
// its eBPF twin (proto-count.ts), through the real driver and the real
// result assembly: what the report views are tested on, independent of the
// offload compiler.
import { loadPreset, type NicImage } from "../../hw-model/index.ts";
import type { BpfObject, BpfProgram } from "../../src/elf/index.ts";
import { cloneMaps } from "../../src/maps/index.ts";
import type { RunResult } from "../../src/report/schema.ts";
import { driveSimulation, type DriverSetup } from "../../src/sim/driver.ts";
import { assembleRunResult, type PlannedOffload, type PreparedRun, type RunRequest } from "../../src/sim/run.ts";
import { openTraffic } from "../../src/sim/traffic-source.ts";
import { countersMap, protoCountProgram } from "./proto-count.ts";
import { protoCountImage } from "../../hw-model/index.ts";

export interface DemoOptions {
  readonly cores?: number;
  readonly spec?: string;
  readonly packets?: number;
  readonly check?: boolean;
  // Replaces the demo microcode (to make the NIC disagree with the host).
  readonly image?: (counters: ReturnType<typeof countersMap>, cores: readonly number[]) => NicImage;
}

export function demoRun(options: DemoOptions = {}): RunResult {
  const preset = loadPreset("nfp-4000");
  const coreCount = options.cores ?? 4;
  const cores = Array.from({ length: coreCount }, (_, i) => i);
  const counters = countersMap();
  const [hostCounters] = cloneMaps([counters]);
  const image = (options.image ?? protoCountImage)(counters, cores);
  const insns = protoCountProgram();
  const program = { name: "proto_count", section: "xdp", type: "xdp", insns, lineInfo: [] } as unknown as BpfProgram;
  const object = { fileName: "proto-count.o", programs: [program], maps: [counters.def] } as unknown as BpfObject;
  const traffic = openTraffic({ kind: "generator", spec: options.spec ?? "mix=udp:1,tcp:1 flows=64 size=64" }, { packetLimit: options.packets ?? 4000 });
  const request: RunRequest = { objectFile: "proto-count.o", cores: coreCount, traffic: { kind: "generator", spec: options.spec ?? "" }, check: options.check ?? true };
  const preparedWithoutProfile = { preset, object, program, nicMaps: [counters], hostMaps: [hostCounters], traffic };
  const planned: PlannedOffload = {
    status: "full",
    reasons: [],
    image,
    stages: [{ name: "proto-count", cores, ebpfRange: [0, insns.length - 1], microcodeInstructions: image.stages[0].program.insns.length, handoverBytes: 0, predictedCyclesPerPacket: null }],
    hostPart: null,
    predicted: null,
    nicMapIndexes: [0],
    stageOfPc: () => 0,
  };
  const setup: DriverSetup = {
    preset,
    image,
    reference: { program: insns, maps: [hostCounters], programs: new Map() },
    nicMaps: [counters],
    check: options.check ?? true,
    seed: 1,
    ...(traffic.expectedPackets === undefined ? {} : { expectedPackets: traffic.expectedPackets }),
  };
  const driven = driveSimulation(setup, traffic);
  // The driver profiled the first packets itself: the listing shows that profile.
  const prepared: PreparedRun = { ...preparedWithoutProfile, profile: { hits: driven.hits, packets: driven.profiledPackets, meanFrameBytes: 0 }, verifierFacts: { scalarAt: () => undefined } };
  return assembleRunResult(request, prepared, planned, driven);
}
