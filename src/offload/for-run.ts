// The offload step of `offload-sim run`: plan, generate, and hand the
// simulation what it needs — the hw-model image (stage programs on their
// cores, every map placed in a memory unit), the host stage that runs what the
// NIC cannot (resumed from each packet's to_host state, on the same maps), and
// the plan as the report shows it. The shape is src/sim/run.ts's PlannedOffload.
import type { HostHandoff, HostStage } from "../../hw-model/timing/simulator.ts";
import type { NicImage as HwImage } from "../../hw-model/image.ts";
import type { Preset } from "../../hw-model/presets/types.ts";
import type { BpfObject, BpfProgram } from "../elf/index.ts";
import type { Program } from "../ebpf/index.ts";
import { run } from "../interp/index.ts";
import type { BpfMap } from "../maps/types.ts";
import { LOOPBACK_RX_QUEUE, packetBytes, XdpAction } from "../xdp/index.ts";
import { hostStart } from "./host-resume.ts";
import type { NicImage } from "./nic-image.ts";
import { generate, planOffload, type OffloadPlan } from "./plan.ts";

export interface RunOffloadRequest {
  readonly preset: Preset;
  readonly object: BpfObject;
  readonly program: BpfProgram;
  // The NIC's maps in object order; the image's placements hold these.
  readonly maps: readonly BpfMap[];
  readonly cores: number;
  readonly partial: boolean;
}

export interface RunOffload {
  readonly status: "full" | "partial";
  readonly reasons: readonly string[];
  readonly image: HwImage;
  readonly host?: HostStage;
  readonly stages: readonly {
    readonly name: string;
    readonly cores: readonly number[];
    readonly ebpfRange: readonly [number, number] | null;
    readonly microcodeInstructions: number;
    readonly handoverBytes: number;
    readonly predictedCyclesPerPacket: number | null;
  }[];
  readonly hostPart: { readonly description: string; readonly ebpfRange: readonly [number, number] | null } | null;
  readonly predicted: { readonly mpps: number; readonly bottleneck: string } | null;
  stageOfPc(pc: number): number | null;
  // The plan and the compiler's image behind it.
  readonly plan: OffloadPlan;
  readonly nicImage: NicImage;
}

// The hw-model's image: stage programs on the plan's cores, every map (index = fwcall #map) in a unit.
export function hwImageOf(image: NicImage, plan: OffloadPlan, maps: readonly BpfMap[]): HwImage {
  const unitOf = new Map(image.maps.map((p) => [p.map, p.unit]));
  return {
    stages: image.stages.map((s, i) => ({ name: plan.stages[i]?.name ?? `stage ${i}`, program: s.program, cores: plan.stages[i]?.cores ?? [i] })),
    // Maps the NIC never touches still need a place: their index is their fwcall number.
    maps: maps.map((map, i) => ({ map, unit: unitOf.get(i) ?? "emem0" })),
  };
}

// The host part of a partly offloaded program: the interpreter resumed where each packet left the NIC.
export function hostStageOf(image: NicImage, maps: readonly BpfMap[], preset: Preset, programs: ReadonlyMap<number, Program>): HostStage {
  return {
    run(handoff: HostHandoff) {
      const start = hostStart(image, handoff, 1);
      const result = run(image.source.insns, { maps, programs, input: { kind: "xdp", buffer: start.buffer, rx: LOOPBACK_RX_QUEUE }, random: start.random, resume: start.resume });
      const action = result.kind === "exit" ? Number(BigInt.asUintN(32, result.r0)) : XdpAction.ABORTED;
      return { action, data: packetBytes(start.buffer), costNs: preset.host.passCostNs };
    },
  };
}

export function planAndGenerateForRun(request: RunOffloadRequest): RunOffload {
  const { preset, object, program, maps, cores } = request;
  const plan = planOffload(program, object.maps, preset, { cores });
  const image = generate(plan, preset);
  const programs = new Map<number, Program>(object.programs.map((p, i) => [i, p.insns]));
  const stageOf = new Map<number, number>();
  plan.stages.forEach((s) => s.ebpfPcs.forEach((pc) => {
    if (!stageOf.has(pc)) stageOf.set(pc, s.index);
  }));
  return {
    status: plan.status === "full" ? "full" : "partial",
    reasons: plan.capability.blockers.map((b) => `pc ${b.pc}: ${b.reason}`),
    image: hwImageOf(image, plan, maps),
    ...(image.hostExits.length ? { host: hostStageOf(image, maps, preset, programs) } : {}),
    stages: plan.stages.map((s) => ({
      name: s.name,
      cores: s.cores,
      ebpfRange: s.ebpfRange,
      microcodeInstructions: s.microcodeInstructions,
      handoverBytes: s.handoverOutBytes,
      predictedCyclesPerPacket: s.cyclesPerPacket,
    })),
    hostPart: plan.host ? { description: plan.host.description, ebpfRange: plan.host.ebpfRange } : null,
    predicted: { mpps: plan.predicted.mpps, bottleneck: plan.predicted.bottleneck },
    stageOfPc: (pc) => stageOf.get(pc) ?? null,
    plan,
    nicImage: image,
  };
}
