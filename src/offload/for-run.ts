// The offload step of `offload-sim run`: plan, generate, and hand the
// simulation what it needs — the hw-model image (stage programs on their
// cores, every map placed in a memory unit), the host stage that runs what the
// NIC cannot (resumed from each packet's to_host state, on the same maps), and
// the plan as the report shows it. The shape is src/sim/run.ts's PlannedOffload.
import type { HostHandoff, HostStage } from "../../hw-model/timing/simulator.ts";
import type { NicImage as HwImage } from "../../hw-model/image.ts";
import type { Preset } from "../../hw-model/presets/types.ts";
import { buildTopology } from "../../hw-model/timing/topology.ts";
import type { BpfObject, BpfProgram } from "../elf/index.ts";
import type { Program } from "../ebpf/index.ts";
import type { RandomSource, RunEvent, SimClock } from "../helpers/runtime.ts";
import { run } from "../interp/index.ts";
import type { BpfMap } from "../maps/types.ts";
import { packetBytes, XdpAction } from "../xdp/index.ts";
import type { VerifierFacts } from "./analysis.ts";
import { OffloadError } from "./errors.ts";
import { hostStart } from "./host-resume.ts";
import type { NicImage } from "./nic-image.ts";
import { generate, planOffload, type OffloadPlan } from "./plan.ts";

export interface RunOffloadRequest {
  readonly preset: Preset;
  readonly object: BpfObject;
  readonly program: BpfProgram;
  // The NIC's maps in object order; the image's placements hold these, and the host stage runs on them.
  readonly maps: readonly BpfMap[];
  readonly cores: number;
  // The host interpreter's profile of the first packets: hits per eBPF pc, and the mean frame size.
  readonly profile?: { readonly hits: ArrayLike<number>; readonly packets: number; readonly meanFrameBytes: number };
  // The verifier's facts about the program (factsFromVerifier), which sharpen the compiler's own.
  readonly verifierFacts?: VerifierFacts;
  // The clock the host stage's helpers read (default the interpreter's).
  readonly clock?: SimClock;
}

// What the offload step hands a run's simulation: the hw-model image, the host stage, and the plan as the report shows it.
export interface PlannedOffload {
  readonly status: "full" | "partial";
  // One line per instruction left on the host: "pc N: why".
  readonly reasons: readonly string[];
  readonly image: HwImage;
  readonly host?: HostStage;
  readonly stages: readonly {
    readonly name: string;
    readonly cores: readonly number[];
    readonly ebpfRange: readonly [number, number] | null;
    readonly microcodeInstructions: number;
    // Bytes carried into the stage from the one before.
    readonly handoverBytes: number;
    readonly predictedCyclesPerPacket: number | null;
  }[];
  readonly hostPart: { readonly description: string; readonly ebpfRange: readonly [number, number] | null } | null;
  readonly predicted: { readonly mpps: number; readonly bottleneck: string } | null;
  // Maps the NIC part reaches (object indexes); the image places the others only to keep the numbering.
  readonly nicMapIndexes: readonly number[];
  // The NIC stage that runs an eBPF instruction, or null for the host.
  stageOfPc(pc: number): number | null;
}

export interface RunOffload extends PlannedOffload {
  // The plan and the compiler's image behind it.
  readonly plan: OffloadPlan;
  readonly nicImage: NicImage;
}

// The hw-model's image: stage programs on the plan's cores, every map (index = fwcall #map) in a unit.
export function hwImageOf(image: NicImage, plan: OffloadPlan, maps: readonly BpfMap[], preset: Preset): HwImage {
  const unitOf = new Map(image.maps.map((p) => [p.map, p.unit]));
  // Maps the NIC never touches still need a place (their index is their fwcall number): the roomiest unit.
  const roomiest = [...buildTopology(preset).units].filter((u) => u.kind !== "pcie").sort((a, b) => b.bytes - a.bytes)[0];
  return {
    stages: image.stages.map((s, i) => ({ name: plan.stages[i]?.name ?? `stage ${i}`, program: s.program, cores: plan.stages[i]?.cores ?? [i] })),
    maps: maps.map((map, i) => ({ map, unit: unitOf.get(i) ?? roomiest.name })),
  };
}

// What a packet's host part did beyond its verdict: the events it sent, and the fault that stopped it.
// hw-model carries it untouched to the packet's record (PacketRecord.hostReport).
export interface HostPartReport {
  readonly events: readonly RunEvent[];
  readonly fault?: { readonly pc: number; readonly message: string };
}

// The host part of a partly offloaded program: the interpreter resumed where each packet left the NIC,
// on the NIC's own maps, resolving the NIC's map-value handles and drawing from the NIC's random stream,
// on the receive queue the packet came in on. A host part that faults ends the packet as XDP_ABORTED
// (its report says where it faulted).
export function hostStageOf(image: NicImage, maps: readonly BpfMap[], preset: Preset, programs: ReadonlyMap<number, Program>, clock?: SimClock): HostStage {
  return {
    run(handoff: HostHandoff) {
      const random: RandomSource = { nextU32: () => handoff.nextRandomU32() };
      const start = hostStart(image, handoff, random, (handle) => handoff.valueOfHandle(handle));
      const rx = { ingressIfindex: handoff.ingressIfindex, rxQueueIndex: handoff.rxQueueIndex, egressIfindex: 0 };
      const input = { kind: "xdp" as const, buffer: start.buffer, rx };
      const externs = image.source.externs ?? [];
      const result = run(image.source.insns, { maps, programs, input, externs, random: start.random, resume: start.resume, ...(clock ? { clock } : {}) });
      const action = result.kind === "exit" ? Number(BigInt.asUintN(32, result.r0)) : XdpAction.ABORTED;
      const report: HostPartReport = { events: result.events, ...(result.kind === "fault" ? { fault: { pc: result.pc, message: result.message } } : {}) };
      return { action, data: packetBytes(start.buffer), costNs: preset.host.passCostNs, report };
    },
  };
}

// Throws OffloadError when nothing of the program can run on the card (or the plan cannot be built).
export function planAndGenerateForRun(request: RunOffloadRequest): RunOffload {
  const { preset, object, program, maps, cores, profile, verifierFacts } = request;
  const plan = planOffload(program, object.maps, preset, {
    cores,
    ...(verifierFacts ? { verifierFacts } : {}),
    ...(profile ? { profile: { hits: profile.hits, packets: profile.packets }, packetBytes: profile.meanFrameBytes } : {}),
  });
  // Each reason is a sentence; in a list of "pc N: why" lines it is a clause.
  const reasons = (plan.host?.exits ?? []).flatMap((e) => e.reasons).map((r) => r.replace(/\.( \(host work behind the exit at pc \d+\))?$/, "$1"));
  if (plan.status === "host") {
    throw new OffloadError(`nothing of program ${program.name} can run on the NIC (${reasons[0] ?? "its first instruction is blocked"}).`, { pc: plan.host?.exits[0]?.pc ?? 0 });
  }
  const image = generate(plan, preset, verifierFacts);
  const programs = new Map<number, Program>(object.programs.map((p, i) => [i, p.insns]));
  const stageOf = new Map<number, number>();
  plan.stages.forEach((s) => s.ebpfPcs.forEach((pc) => {
    if (!stageOf.has(pc)) stageOf.set(pc, s.index);
  }));
  return {
    status: plan.status,
    reasons,
    image: hwImageOf(image, plan, maps, preset),
    ...(image.hostExits.length ? { host: hostStageOf(image, maps, preset, programs, request.clock) } : {}),
    stages: plan.stages.map((s) => ({
      name: s.name,
      cores: s.cores,
      ebpfRange: s.ebpfRange,
      microcodeInstructions: s.microcodeInstructions,
      handoverBytes: s.handoverInBytes,
      predictedCyclesPerPacket: s.cyclesPerPacket,
    })),
    hostPart: plan.host ? { description: plan.host.description, ebpfRange: plan.host.ebpfRange } : null,
    predicted: { mpps: plan.predicted.mpps, bottleneck: plan.predicted.bottleneck },
    nicMapIndexes: image.maps.map((p) => p.map),
    stageOfPc: (pc) => stageOf.get(pc) ?? null,
    plan,
    nicImage: image,
  };
}
