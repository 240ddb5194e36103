// One plan variation of a program compiled by src/offload, as plain data in
// and out (so it can run in a worker thread that a hang cannot take down):
// the front end, the capability check's host cuts, lowering, the stage split
// at the chosen cut, register allocation and map placement. Variations: one
// stage on all the cores (cut 0), or two stages split before position k of
// the blocks' reverse post-order, for every k that no loop crosses.
import { loadPreset, type Preset } from "../../hw-model/index.ts";
import type { Program } from "../ebpf/instruction.ts";
import type { FunctionSpan, LineInfo } from "../elf/index.ts";
import type { MapDef } from "../maps/index.ts";
import { findBlockers } from "../offload/capability.ts";
import type { StageAssignment } from "../offload/codegen.ts";
import { OffloadError } from "../offload/errors.ts";
import { frontEnd, type FrontEnd } from "../offload/front-end.ts";
import { buildImage, lowerProgram } from "../offload/image-builder.ts";
import { predecessors, reversePostOrder } from "../offload/ir.ts";
import type { NicImage } from "../offload/nic-image.ts";
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
export function stageCuts(fe: FrontEnd): { readonly order: readonly number[]; readonly cuts: readonly number[] } {
  const order = reversePostOrder(fe.ir);
  const position = new Map(order.map((b, i) => [b, i]));
  const preds = predecessors(fe.ir);
  // The earliest position each back edge returns to, keyed by where it leaves from.
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

export function compilePlan(request: PlanRequest): PlanResponse {
  const preset = presetNamed(request.preset);
  try {
    const fe = frontEndOf(request);
    const blockers = findBlockers(fe, preset);
    const { order, cuts } = stageCuts(fe);
    const { cores, cut } = request.variation;
    const boundary = cut === 0 || cores < 2 || cuts.length === 0 ? undefined : cuts[(cut - 1) % cuts.length];
    const stageOf = new Map<number, number>();
    order.forEach((block, i) => stageOf.set(block, boundary !== undefined && i >= boundary ? 1 : 0));
    const assignment: StageAssignment = { stageCount: boundary === undefined ? 1 : 2, stageOf };
    const image = buildImage(fe, lowerProgram(fe, blockers.cuts), assignment, preset, new Map());
    return { kind: "image", image, planLines: planLines(image, cores, boundary, order) };
  } catch (error) {
    if (error instanceof OffloadError) return { kind: "refused", reason: error.message };
    return { kind: "failed", error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

function planLines(image: NicImage, cores: number, boundary: number | undefined, order: readonly number[]): string[] {
  const lines: string[] = [];
  const coreSplit = image.stages.length === 1 ? [cores] : [Math.ceil(cores / 2), Math.floor(cores / 2)];
  let first = 0;
  image.stages.forEach((stage, s) => {
    const pcs = stage.origins.filter((o) => o !== undefined).map((o) => o!.pc);
    const range = pcs.length ? `eBPF pc ${Math.min(...pcs)}..${Math.max(...pcs)}` : "no eBPF instruction";
    const n = coreSplit[s] ?? 1;
    lines.push(`stage ${s} on ${n} core${n === 1 ? "" : "s"} (${first}${n > 1 ? `-${first + n - 1}` : ""}): ${range}, ${stage.program.insns.length} microcode instructions`);
    first += n;
  });
  if (boundary !== undefined) lines.push(`stage boundary before IR block ${order[boundary]} (position ${boundary} of ${order.length} in block order)`);
  lines.push(image.hostExits.length > 0 ? `host part: resumes at eBPF pc ${[...new Set(image.hostExits.map((e) => e.resumePc))].join(", ")}` : "host part: none (fully offloaded)");
  return lines;
}

// The worker's entry (compile-guard.ts): plain data in, plain data out.
export function handle(request: PlanRequest): PlanResponse {
  return compilePlan(request);
}
