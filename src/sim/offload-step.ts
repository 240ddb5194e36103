// The offload step of a run: the offload compiler's plan for the cores asked
// (src/offload planOffload, guided by a profile of the first packets) and its
// NIC image (generate), made into what hw-model's simulate() loads: each stage's
// microcode on the plan's cores, and every map of the object in a memory unit
// (the placed ones where the plan put them; maps the NIC never touches go to
// the roomiest unit, only so the map table keeps the object's numbering).
import { buildTopology, type NicImage as HwImage } from "../../hw-model/index.ts";
import { OffloadError } from "../offload/errors.ts";
import { generate, planOffload, type OffloadPlan } from "../offload/plan.ts";
import { SimInputError } from "./errors.ts";
import type { OffloadRequest, PlannedOffload } from "./run.ts";

// The program cannot be offloaded (and --partial was not given, or nothing of it runs on the NIC): a "no" verdict, not bad input.
export class NotOffloadableError extends SimInputError {}

export function planAndGenerate(request: OffloadRequest): PlannedOffload {
  const { preset, program, object } = request;
  let plan: OffloadPlan;
  try {
    plan = planOffload(program, object.maps, preset, {
      cores: request.cores,
      ...(request.profile ? { profile: { hits: request.profile.hits, packets: request.profile.packets }, packetBytes: request.profile.meanFrameBytes } : {}),
    });
  } catch (error) {
    if (error instanceof OffloadError) throw new NotOffloadableError(`${object.fileName}: ${error.message}`, error.position);
    throw error;
  }
  // Each reason is a sentence; inside ours it is a clause.
  const reasons = (plan.host?.exits ?? []).flatMap((e) => e.reasons).map((r) => r.replace(/\.$/, ""));
  if (plan.status === "host") {
    throw new NotOffloadableError(`${object.fileName}: nothing of program ${program.name} can run on the NIC (${reasons[0] ?? "its first instruction is blocked"}).`);
  }
  if (plan.status === "partial" && !request.partial) {
    throw new NotOffloadableError(`${object.fileName}: program ${program.name} cannot be fully offloaded (${reasons.join("; ")}); --partial runs the rest on the host.`);
  }
  if (plan.status === "partial") {
    // hw-model's host stage sees registers and local memory only; resuming the interpreter needs the executor's map-value handles too.
    throw new SimInputError(`${object.fileName}: program ${program.name} is only partly offloadable (${reasons.join("; ")}), and the timing model cannot yet run the host part (src/offload has no host stage for hw-model's simulate()); nothing was simulated.`);
  }
  const image = generate(plan, preset);
  const topology = buildTopology(preset);
  const roomiest = [...topology.units].filter((u) => u.kind !== "pcie").sort((a, b) => b.bytes - a.bytes)[0];
  const unitOf = new Map(plan.maps.map((p) => [p.map, p.unit]));
  const hwImage: HwImage = {
    stages: image.stages.map((s, i) => ({ name: plan.stages[i].name, program: s.program, cores: plan.stages[i].cores })),
    maps: request.maps.map((map, i) => ({ map, unit: unitOf.get(i) ?? roomiest.name })),
  };
  const stageOfPc = new Map<number, number>();
  plan.stages.forEach((s) => s.ebpfPcs.forEach((pc) => stageOfPc.set(pc, s.index)));
  return {
    status: plan.status,
    reasons,
    image: hwImage,
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
    stageOfPc: (pc) => stageOfPc.get(pc) ?? null,
  };
}
