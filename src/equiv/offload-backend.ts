// The real side under test: src/offload compiles the program for the preset
// (capability check, host cuts, lowering, stage split, register allocation,
// map placement) and runNicFunctional runs a packet through the image's
// stages on hw-model's executor, handing over between stages with only the
// carried registers and local memory (the rest is poisoned, as a ring would
// lose it), and finishing on the host interpreter when the packet leaves the
// NIC. Plan variations: one stage on all the cores, or two stages split at
// each valid cut (a point of the block order that no loop crosses).
import { loadPreset, totalCores, type Preset } from "../../hw-model/index.ts";
import { cloneMaps, type SimMap } from "../maps/index.ts";
import { findBlockers } from "../offload/capability.ts";
import type { StageAssignment } from "../offload/codegen.ts";
import { frontEnd, type FrontEnd } from "../offload/front-end.ts";
import { buildImage, lowerProgram } from "../offload/image-builder.ts";
import { predecessors, reversePostOrder } from "../offload/ir.ts";
import type { NicImage } from "../offload/nic-image.ts";
import { runNicFunctional } from "../offload/runner.ts";
import { EquivInputError } from "./errors.ts";
import type { RunEnvironment } from "./host-side.ts";
import type { Compiled, MicroStep, NicBackend, NicRun, NicTarget, PlanVariation } from "./nic-target.ts";
import { outcomeOfRun } from "./outcome.ts";
import type { EquivSubject } from "./subject.ts";

interface Prepared {
  readonly fe: FrontEnd;
  readonly cuts: ReturnType<typeof findBlockers>["cuts"];
  readonly fullyOffloadable: boolean;
  // Reverse post-order of the IR blocks, and the positions a stage boundary may sit at.
  readonly order: readonly number[];
  readonly stageCuts: readonly number[];
}

export class OffloadBackend implements NicBackend {
  readonly name = "src/offload + hw-model";
  private readonly prepared = new WeakMap<EquivSubject, Prepared>();

  constructor(readonly preset: Preset) {}

  static forPreset(name: string): OffloadBackend {
    return new OffloadBackend(loadPreset(name));
  }

  checkCores(cores: readonly number[]): void {
    const most = totalCores(this.preset);
    for (const c of cores) {
      if (!(Number.isInteger(c) && c >= 1 && c <= most)) throw new EquivInputError(`--cores takes whole numbers from 1 to ${most} (the cores ${this.preset.name} gives the program), not ${c}.`);
    }
  }

  private prepare(subject: EquivSubject): Prepared {
    let p = this.prepared.get(subject);
    if (p) return p;
    const fe = frontEnd({ insns: subject.insns, ...(subject.programName ? { name: subject.programName } : {}), ...(subject.functions ? { functions: subject.functions } : {}), ...(subject.lineInfo ? { lineInfo: subject.lineInfo } : {}) }, subject.mapDefs);
    const blockers = findBlockers(fe, this.preset);
    const order = reversePostOrder(fe.ir);
    const position = new Map(order.map((b, i) => [b, i]));
    const preds = predecessors(fe.ir);
    // A boundary before position k is valid when no edge goes from at or after k back to before k.
    const stageCuts: number[] = [];
    for (let k = 1; k < order.length; k++) {
      let crossesBack = false;
      for (const b of order) {
        for (const from of preds[b]) {
          const pf = position.get(from);
          const pb = position.get(b)!;
          if (pf !== undefined && pf >= k && pb < k) crossesBack = true;
        }
      }
      if (!crossesBack) stageCuts.push(k);
    }
    p = { fe, cuts: blockers.cuts, fullyOffloadable: blockers.report.fullyOffloadable, order, stageCuts };
    this.prepared.set(subject, p);
    return p;
  }

  cutCount(subject: EquivSubject, cores: number): number {
    return cores < 2 ? 1 : 1 + this.prepare(subject).stageCuts.length;
  }

  compile(subject: EquivSubject, variation: PlanVariation): Compiled {
    const p = this.prepare(subject);
    const boundary = variation.cut === 0 || variation.cores < 2 ? undefined : p.stageCuts[(variation.cut - 1) % p.stageCuts.length];
    const stageOf = new Map<number, number>();
    p.order.forEach((block, i) => stageOf.set(block, boundary !== undefined && i >= boundary ? 1 : 0));
    const assignment: StageAssignment = { stageCount: boundary === undefined ? 1 : 2, stageOf };
    let image: NicImage;
    try {
      image = buildImage(p.fe, lowerProgram(p.fe, p.cuts), assignment, this.preset, new Map());
    } catch (error) {
      return { kind: "refused", reason: error instanceof Error ? error.message : String(error) };
    }
    return { kind: "target", target: new OffloadTarget(subject, image, variation, planLines(image, variation, boundary, p)) };
  }
}

function planLines(image: NicImage, variation: PlanVariation, boundary: number | undefined, p: Prepared): string[] {
  const lines: string[] = [];
  const coreSplit = image.stages.length === 1 ? [variation.cores] : [Math.ceil(variation.cores / 2), Math.floor(variation.cores / 2)];
  let first = 0;
  image.stages.forEach((stage, s) => {
    const pcs = stage.origins.filter((o) => o !== undefined).map((o) => o!.pc);
    const range = pcs.length ? `eBPF pc ${Math.min(...pcs)}..${Math.max(...pcs)}` : "no eBPF instruction";
    const cores = coreSplit[s] ?? 1;
    lines.push(`stage ${s} on ${cores} core${cores === 1 ? "" : "s"} (${first}${cores > 1 ? `-${first + cores - 1}` : ""}): ${range}, ${stage.program.insns.length} microcode instructions`);
    first += cores;
  });
  if (boundary !== undefined) lines.push(`stage boundary before IR block ${p.order[boundary]} (position ${boundary} of ${p.order.length} in block order)`);
  if (image.hostExits.length > 0) lines.push(`host part: resumes at eBPF pc ${[...new Set(image.hostExits.map((e) => e.resumePc))].join(", ")}`);
  else lines.push("host part: none (fully offloaded)");
  return lines;
}

class OffloadTarget implements NicTarget {
  constructor(
    private readonly subject: EquivSubject,
    readonly image: NicImage,
    readonly variation: PlanVariation,
    readonly planLines: readonly string[],
  ) {}

  run(packet: Uint8Array, initialMaps: readonly SimMap[], env: RunEnvironment, trace: boolean): NicRun {
    const maps = cloneMaps(initialMaps);
    const result = runNicFunctional(this.image, packet, maps, {
      rx: { ingressIfindex: env.ingressIfindex, rxQueueIndex: 0, egressIfindex: 0 },
      randomSeed: env.randomSeed,
      clock: env.clock,
      programs: this.subject.tailCalls,
    });
    const outcome = outcomeOfRun("nic", result, result.fault ? faultText(result.fault) : undefined, maps);
    const steps: MicroStep[] | undefined = trace ? [] : undefined;
    return { outcome, ...(steps ? { trace: steps } : {}), ...(result.hostExit === undefined ? {} : { hostResumePc: this.image.hostExits[result.hostExit]?.resumePc }) };
  }
}

function faultText(f: NonNullable<ReturnType<typeof runNicFunctional>["fault"]>): string {
  return f.where === "nic" ? `NIC stage ${f.stage}, microcode pc ${f.pc}: ${f.message}` : `host part, eBPF pc ${f.pc}: ${f.message}`;
}
