// One plan variation of a program compiled by src/offload (planOffload, then
// generate), as plain data in and out, so it can run in a worker thread that
// a hanging compiler cannot take down. Variations at a core count: the
// planner's own plan; the planner asked for 2, 3, 4 stages; and the planner's
// plan with its NIC blocks split in two stages before each legal position of
// their block order (one that no loop crosses, as the partitioner requires).
import { loadPreset, type Preset } from "../../hw-model/index.ts";
import type { Program } from "../ebpf/instruction.ts";
import type { FunctionSpan, LineInfo } from "../elf/index.ts";
import type { MapDef } from "../maps/index.ts";
import { OffloadError } from "../offload/errors.ts";
import { frontEnd, type FrontEnd } from "../offload/front-end.ts";
import { predecessors, reversePostOrder } from "../offload/ir.ts";
import type { NicImage } from "../offload/nic-image.ts";
import { generate, planOffload, type OffloadPlan } from "../offload/plan.ts";
import type { PlanVariation } from "./nic-target.ts";

export interface PlanRequest {
  readonly insns: Program;
  readonly programName?: string;
  readonly functions?: readonly FunctionSpan[];
  readonly lineInfo?: readonly LineInfo[];
  readonly mapDefs: readonly MapDef[];
  readonly preset: string;
  readonly variation: PlanVariation;
}

export type PlanResponse =
  | { readonly kind: "image"; readonly image: NicImage; readonly planLines: readonly string[] }
  | { readonly kind: "refused"; readonly reason: string }
  | { readonly kind: "failed"; readonly error: string };

export function frontEndOf(request: Omit<PlanRequest, "preset" | "variation">): FrontEnd {
  return frontEnd(
    { insns: request.insns, ...(request.programName ? { name: request.programName } : {}), ...(request.functions ? { functions: request.functions } : {}), ...(request.lineInfo ? { lineInfo: request.lineInfo } : {}) },
    request.mapDefs,
  );
}

// Block order, and the positions of it where a stage boundary may sit (no edge runs from at-or-after it back before it).
export function stageCuts(fe: FrontEnd, onNic: (block: number) => boolean = () => true): { readonly order: readonly number[]; readonly cuts: readonly number[] } {
  const order = reversePostOrder(fe.ir).filter(onNic);
  const position = new Map(order.map((b, i) => [b, i]));
  const preds = predecessors(fe.ir);
  const cuts: number[] = [];
  for (let k = 1; k < order.length; k++) {
    const crossesBack = order.some((b) => preds[b].some((from) => (position.get(from) ?? -1) >= k && position.get(b)! < k));
    if (!crossesBack) cuts.push(k);
  }
  return { order, cuts };
}

const presets = new Map<string, Preset>();
const presetNamed = (name: string): Preset => {
  let p = presets.get(name);
  if (!p) {
    p = loadPreset(name);
    presets.set(name, p);
  }
  return p;
};

// Stage counts the planner is asked for besides its own choice (at most the cores).
const MAX_PLANNED_STAGES = 4;

// Plan variations at a core count: the planner's own plan, the planner asked for 2..4 stages, then two stages split at each legal cut.
export function variationCount(fe: FrontEnd, cores: number): number {
  if (cores < 2) return 1;
  return 1 + (Math.min(cores, MAX_PLANNED_STAGES) - 1) + stageCuts(fe).cuts.length;
}

export function compilePlan(request: PlanRequest): PlanResponse {
  const preset = presetNamed(request.preset);
  const source = { insns: request.insns, ...(request.programName ? { name: request.programName } : {}), ...(request.functions ? { functions: request.functions } : {}), ...(request.lineInfo ? { lineInfo: request.lineInfo } : {}) };
  const { cores, cut } = request.variation;
  try {
    const planned = Math.min(cores, MAX_PLANNED_STAGES) - 1;
    const stages = cut >= 1 && cut <= planned ? cut + 1 : "auto";
    let plan = planOffload(source, request.mapDefs, preset, { cores, stages });
    let how = stages === "auto" ? "the planner's own plan" : `the planner asked for ${stages} stages`;
    if (cores >= 2 && cut > planned) {
      const split = twoStageSplit(plan, frontEndOf(request), cut - 1 - planned);
      if (split) {
        plan = split.plan;
        how = `two stages split before position ${split.position} of ${split.blocks} NIC blocks in block order`;
      }
    }
    const image = generate(plan, preset);
    return { kind: "image", image, planLines: planLines(image, plan, how) };
  } catch (error) {
    if (error instanceof OffloadError) return { kind: "refused", reason: error.message };
    return { kind: "failed", error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

// The plan with its NIC blocks in two stages, cut before the index-th legal position of their block order.
function twoStageSplit(plan: OffloadPlan, fe: FrontEnd, index: number): { plan: OffloadPlan; position: number; blocks: number } | undefined {
  const { order, cuts } = stageCuts(fe, (b) => (plan.stageOfIrBlock[b] ?? -1) >= 0);
  if (cuts.length === 0) return undefined;
  const position = cuts[index % cuts.length];
  const stageOfIrBlock = plan.stageOfIrBlock.slice();
  order.forEach((b, i) => (stageOfIrBlock[b] = i < position ? 0 : 1));
  const first = Math.ceil(plan.cores / 2);
  const cores = Array.from({ length: plan.cores }, (_, c) => c);
  const stages = [
    { ...plan.stages[0], index: 0, cores: cores.slice(0, first) },
    { ...plan.stages[0], index: 1, cores: cores.slice(first) },
  ];
  return { plan: { ...plan, stageOfIrBlock, stages }, position, blocks: order.length };
}

function planLines(image: NicImage, plan: OffloadPlan, how: string): string[] {
  const lines = [`${how}:`];
  image.stages.forEach((stage, s) => {
    const pcs = stage.origins.filter((o) => o !== undefined).map((o) => o!.pc);
    const range = pcs.length ? `eBPF pc ${Math.min(...pcs)}..${Math.max(...pcs)}` : "no eBPF instruction";
    const cores = plan.stages[s]?.cores ?? [];
    const coreText = cores.length === 0 ? "" : ` on core${cores.length === 1 ? "" : "s"} ${cores.length === 1 ? cores[0] : `${cores[0]}-${cores[cores.length - 1]}`}`;
    lines.push(`stage ${s}${coreText}: ${range}, ${stage.program.insns.length} microcode instructions`);
  });
  lines.push(image.hostExits.length > 0 ? `host part: resumes at eBPF pc ${[...new Set(image.hostExits.map((e) => e.resumePc))].join(", ")}` : "host part: none (fully offloaded)");
  return lines;
}

// The worker's entry (compile-guard.ts): plain data in, plain data out.
export function handle(request: PlanRequest): PlanResponse {
  return compilePlan(request);
}
