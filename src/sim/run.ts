// One `offload-sim run`, end to end: load the object and its maps, verify the
// program, plan and generate the offload for the cores asked, simulate the
// traffic on the NIC model while the host interpreter runs the same packets,
// and assemble the report's RunResult. Each step is a call into the part that
// owns it; this module only wires them (DESIGN.md, "The flow of one run").
import { possibleCpuCount } from "../elf/possible-cpus.ts";
import { loadPreset, totalCores, type Preset } from "../../hw-model/index.ts";
import type { BpfObject, BpfProgram } from "../elf/index.ts";
import type { SimClock } from "../helpers/runtime.ts";
import { cloneMaps, type SimMap } from "../maps/index.ts";
import { createObjectMaps, loadMapFileContent, selectProgram, tailCallPrograms } from "../oracle/object-setup.ts";
import { readObjectFile } from "../oracle/run-object.ts";
import type { VerifierFacts } from "../offload/analysis.ts";
import { verifiedFacts } from "../offload/verified.ts";
import type { OffloadSummary, RunResult } from "../report/schema.ts";
import { driveSimulation, type DriverResult } from "./driver.ts";
import { RUN_CLOCK } from "./host-reference.ts";
import { SimInputError } from "./errors.ts";
import { programListing } from "./program-listing.ts";
import { planAndGenerate } from "./offload-step.ts";
import { PROFILE_PACKETS } from "./driver.ts";
import { profileTraffic, type TrafficProfile } from "./profile.ts";
import { openTraffic, type TrafficChoice, type TrafficStream } from "./traffic-source.ts";
import type { PlannedOffload } from "../offload/for-run.ts";

export const DEFAULT_PRESET = "nfp-4000";
export const DEFAULT_SEED = 1;

export interface RunRequest {
  readonly objectFile: string;
  readonly program?: string;
  readonly cores: number;
  readonly preset?: string;
  readonly traffic: TrafficChoice;
  readonly packetLimit?: number;
  readonly maps?: readonly { readonly map: string; readonly file: string }[];
  // Port rate in Gb/s (default: the preset's).
  readonly lineRateGbps?: number;
  readonly check: boolean;
  // --partial: a corrupt or truncated capture ends the traffic where it breaks, instead of failing the run.
  readonly partialCapture?: boolean;
  readonly seed?: number;
  readonly onProgress?: (packetsDone: number, packetsExpected: number | undefined) => void;
  // Called when a --partial capture broke off: the reader's sentence, and the packets read before it.
  readonly onCaptureBroken?: (problem: string, packetsRead: number) => void;
  // What a capture's packets needed to become the Ethernet frames XDP sees (traffic-source.ts), one sentence each, once.
  readonly onCaptureNote?: (note: string) => void;
}

// A program the verifier refuses: it could not be loaded at all, so there is nothing to offload.
// Kept under this name for callers of the run: the verifier's rejection is the offload compiler's precondition.
export { ProgramRejectedError } from "../offload/verified.ts";

export type { PlannedOffload };

export interface OffloadRequest {
  readonly preset: Preset;
  readonly object: BpfObject;
  readonly program: BpfProgram;
  // The NIC's maps, object order: the image's placements must hold these.
  readonly maps: readonly SimMap[];
  readonly cores: number;
  // The host interpreter's profile of the first packets.
  readonly profile?: TrafficProfile;
  readonly verifierFacts?: VerifierFacts;
  // The clock the host part's helpers read (the host reference's).
  readonly clock?: SimClock;
}

export interface PreparedRun {
  readonly preset: Preset;
  readonly object: BpfObject;
  readonly program: BpfProgram;
  readonly nicMaps: readonly SimMap[];
  readonly hostMaps: readonly SimMap[];
  readonly traffic: TrafficStream;
  readonly profile: TrafficProfile;
  readonly verifierFacts: VerifierFacts;
}

// Everything that can fail on bad input, checked before any simulation starts.
export function prepareRun(request: RunRequest): PreparedRun {
  const presetName = request.preset ?? DEFAULT_PRESET;
  const card = loadPreset(presetName);
  // --line-rate changes the card's ports, for the planner's predictions and the timing model alike.
  const preset = request.lineRateGbps === undefined ? card : { ...card, ports: { ...card.ports, rateGbps: request.lineRateGbps } };
  const cores = totalCores(preset);
  if (!(Number.isInteger(request.cores) && request.cores >= 1 && request.cores <= cores)) {
    throw new SimInputError(`--cores must be a whole number from 1 to ${cores} (the cores ${preset.name} gives the program), not ${request.cores}.`);
  }
  if (request.lineRateGbps !== undefined && !(request.lineRateGbps > 0)) {
    throw new SimInputError(`--line-rate must be a rate above 0 (e.g. 40G), not ${request.lineRateGbps} Gb/s.`);
  }
  const object = readObjectFile(request.objectFile);
  const program = selectProgram(object, request.program);
  if (program.type !== "xdp") {
    throw new SimInputError(`${object.fileName}: program ${program.name} is a ${program.type} program (section ${program.section}); only XDP programs can be offloaded.`);
  }
  let setup = createObjectMaps(object, possibleCpuCount());
  for (const { map, file } of request.maps ?? []) setup = loadMapFileContent(setup, map, file);
  const verifierFacts = verifiedFacts(object, program);
  const traffic = openTraffic(request.traffic, {
    ...(request.packetLimit === undefined ? {} : { packetLimit: request.packetLimit }),
    seed: request.seed ?? DEFAULT_SEED,
    partialCapture: request.partialCapture ?? false,
    ...(request.onCaptureBroken ? { onCaptureBroken: request.onCaptureBroken } : {}),
    ...(request.onCaptureNote ? { onCaptureNote: request.onCaptureNote } : {}),
  });
  // The host's copy is taken before the NIC touches anything.
  const hostMaps = cloneMaps(setup.maps);
  const profile = profileTraffic(traffic, { program: program.insns, maps: hostMaps, programs: tailCallPrograms(object) }, PROFILE_PACKETS, preset.ports.count, request.seed ?? DEFAULT_SEED);
  return { preset, object, program, nicMaps: setup.maps, hostMaps, traffic, profile, verifierFacts };
}

export function runOffloadSim(request: RunRequest, offload: (r: OffloadRequest) => PlannedOffload = planAndGenerate): RunResult {
  const { prepared, planned, driver } = simulateRun(request, offload);
  return assembleRunResult(request, prepared, planned, driver);
}

// The run's steps without the report: what runOffloadSim assembles, for callers that need figures the
// report keeps only in prose (the sweep: how many packets the host part ran).
export function simulateRun(request: RunRequest, offload: (r: OffloadRequest) => PlannedOffload = planAndGenerate): { prepared: PreparedRun; planned: PlannedOffload; driver: DriverResult } {
  const prepared = prepareRun(request);
  const { preset, object, program } = prepared;
  const planned = offload({ preset, object, program, maps: prepared.nicMaps, cores: request.cores, profile: prepared.profile, verifierFacts: prepared.verifierFacts, clock: RUN_CLOCK });
  const driver = driveSimulation(
    {
      preset,
      image: planned.image,
      ...(planned.host ? { host: planned.host } : {}),
      nicMapIndexes: planned.nicMapIndexes,
      reference: { program: program.insns, maps: prepared.hostMaps, programs: tailCallPrograms(object) },
      nicMaps: prepared.nicMaps,
      check: request.check,
      ...(request.lineRateGbps === undefined ? {} : { rateGbps: request.lineRateGbps }),
      seed: request.seed ?? DEFAULT_SEED,
      // The listing shows the profile taken before planning.
      profilePackets: 0,
      ...(prepared.traffic.expectedPackets === undefined ? {} : { expectedPackets: prepared.traffic.expectedPackets }),
      ...(request.onProgress ? { onProgress: (done: number) => request.onProgress!(done, prepared.traffic.expectedPackets) } : {}),
    },
    prepared.traffic,
  );
  return { prepared, planned, driver };
}

export function assembleRunResult(request: RunRequest, prepared: PreparedRun, planned: PlannedOffload, driver: DriverResult): RunResult {
  const { preset, program, object } = prepared;
  const offload: OffloadSummary = {
    status: planned.status,
    reasons: [...planned.reasons],
    stages: planned.stages.map((s, index) => ({
      index,
      name: s.name,
      cores: [...s.cores],
      ebpfRange: s.ebpfRange ? [s.ebpfRange[0], s.ebpfRange[1]] : null,
      microcodeInstructions: s.microcodeInstructions,
      handoverBytes: s.handoverBytes,
      predictedCyclesPerPacket: s.predictedCyclesPerPacket,
      simulated: driver.stages[index] ?? { packets: 0, meanServiceNs: null, coreUtilization: 0, threadOccupancy: 0 },
    })),
    hostPart: planned.hostPart
      ? { description: `${planned.hostPart.description}; ${hostShare(driver.hostPartPackets, driver.simulation.packets.offered)}`, ebpfRange: planned.hostPart.ebpfRange ? [planned.hostPart.ebpfRange[0], planned.hostPart.ebpfRange[1]] : null }
      : null,
    maps: planned.image.maps.map((p, i) => ({ map: p.map.def.name, unit: p.unit, footprintBytes: Math.round(driver.mapFootprints[i] ?? 0) })),
    predicted: planned.predicted ? { ...planned.predicted } : null,
  };
  return {
    input: {
      object: object.fileName,
      program: program.name,
      preset: preset.name,
      presetDescription: preset.description,
      cores: request.cores,
      traffic: prepared.traffic.source,
      packetLimit: request.packetLimit ?? null,
      ports: preset.ports.count,
      lineRateGbps: request.lineRateGbps ?? preset.ports.rateGbps,
      maps: [...(request.maps ?? [])].map((m) => ({ map: m.map, file: m.file })),
      check: request.check,
      partial: request.partialCapture ?? false,
      seed: request.seed ?? DEFAULT_SEED,
    },
    program: {
      name: program.name,
      section: program.section,
      instructions: program.insns.length,
      listing: programListing(program.insns, program.lineInfo, prepared.profile.hits, (pc) => planned.stageOfPc(pc), request.objectFile),
      profiledPackets: prepared.profile.packets,
    },
    offload,
    simulation: driver.simulation,
    equivalence: driver.equivalence,
  };
}

// "120 of the 1,000 packets offered (12.0 %) went there in the simulation".
function hostShare(hostPackets: number, offered: number): string {
  const percent = offered > 0 ? ((100 * hostPackets) / offered).toFixed(1) : "0.0";
  return `${hostPackets.toLocaleString("en-US")} of the ${offered.toLocaleString("en-US")} packets offered (${percent} %) went there in the simulation`;
}
