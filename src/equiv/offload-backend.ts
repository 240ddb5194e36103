// The real side under test: src/offload compiles the program for the preset
// (capability check, host cuts, lowering, stage split, register allocation,
// map placement) and runNicFunctional runs a packet through the image's
// stages on hw-model's executor, handing over between stages with only the
// carried registers and local memory (the rest is poisoned, as a ring would
// lose it), and finishing on the host interpreter when the packet leaves the
// NIC. With a trace asked for, the executor's per-instruction hook records
// the microcode run (micro-trace.ts). Plan variations: one stage on all the cores, or two stages split at
// each valid cut (a point of the block order that no loop crosses).
import { loadPreset, totalCores, type Preset } from "../../hw-model/index.ts";
import { cloneMaps, type SimMap } from "../maps/index.ts";
import type { NicImage } from "../offload/nic-image.ts";
import { runNicFunctional } from "../offload/runner.ts";
import { GuardedCompiler } from "./compile-guard.ts";
import { MAX_MICRO_STEPS, MicroTraceRecorder } from "./micro-trace.ts";
import { EquivInputError } from "./errors.ts";
import type { RunEnvironment } from "./host-side.ts";
import type { Compiled, NicBackend, NicRun, NicTarget, PlanVariation } from "./nic-target.ts";
import { outcomeOfRun } from "./outcome.ts";
import { compilePlan, frontEndOf, variationCount, type PlanRequest, type PlanResponse } from "./plan-compile.ts";
import type { EquivSubject } from "./subject.ts";

export interface OffloadBackendOptions {
  // Compile in a worker thread with this time limit (ms); undefined compiles in this thread.
  readonly compileTimeoutMs?: number;
}

export class OffloadBackend implements NicBackend {
  readonly name = "src/offload + hw-model";
  private readonly cutCounts = new WeakMap<EquivSubject, Map<number, number>>();
  private readonly guard: GuardedCompiler | undefined;

  constructor(
    readonly preset: Preset,
    options: OffloadBackendOptions = {},
  ) {
    this.guard = options.compileTimeoutMs === undefined ? undefined : new GuardedCompiler(options.compileTimeoutMs);
  }

  static forPreset(name: string, options: OffloadBackendOptions = {}): OffloadBackend {
    return new OffloadBackend(loadPreset(name), options);
  }

  checkCores(cores: readonly number[]): void {
    const most = totalCores(this.preset);
    for (const c of cores) {
      if (!(Number.isInteger(c) && c >= 1 && c <= most)) throw new EquivInputError(`--cores takes whole numbers from 1 to ${most} (the cores ${this.preset.name} gives the program), not ${c}.`);
    }
  }

  cutCount(subject: EquivSubject, cores: number): number {
    if (cores < 2) return 1;
    let counts = this.cutCounts.get(subject);
    if (counts === undefined) {
      counts = new Map();
      this.cutCounts.set(subject, counts);
    }
    let n = counts.get(cores);
    if (n === undefined) {
      n = variationCount(frontEndOf(subject), cores);
      counts.set(cores, n);
    }
    return n;
  }

  compile(subject: EquivSubject, variation: PlanVariation): Compiled {
    const request: PlanRequest = {
      insns: subject.insns,
      ...(subject.programName ? { programName: subject.programName } : {}),
      ...(subject.functions ? { functions: subject.functions } : {}),
      ...(subject.lineInfo ? { lineInfo: subject.lineInfo } : {}),
      mapDefs: subject.mapDefs,
      preset: this.preset.name,
      variation,
    };
    const response: PlanResponse = this.guard ? this.guard.compile(request) : compilePlan(request);
    switch (response.kind) {
      case "image":
        return { kind: "target", target: new OffloadTarget(subject, response.image, variation, response.planLines) };
      case "refused":
        return { kind: "refused", reason: response.reason };
      case "failed":
        return { kind: "failed", error: response.error };
    }
  }

  close(): void {
    this.guard?.stop();
  }
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
    const recorder = trace ? new MicroTraceRecorder(this.image) : undefined;
    const result = runNicFunctional(this.image, packet, maps, {
      rx: { ingressIfindex: env.ingressIfindex, rxQueueIndex: 0, egressIfindex: 0 },
      randomSeed: env.randomSeed,
      clock: env.clock,
      ...(this.subject.routes ? { routes: this.subject.routes } : {}),
      ...(this.subject.currentPidTgid === undefined ? {} : { currentPidTgid: this.subject.currentPidTgid }),
      programs: this.subject.tailCalls,
      ...(recorder ? { instructionHook: recorder.hook } : {}),
    });
    const outcome = outcomeOfRun("nic", result, result.fault ? faultText(result.fault) : undefined, maps);
    const recorded = recorder?.finish();
    return {
      outcome,
      // A trace cut short at its start cannot be set beside the host's steps.
      ...(recorded === undefined ? {} : recorded.dropped === 0 ? { trace: recorded.steps, lowered: loweredPcs(this.image), registerHomes: this.image.registerHomes } : { traceMissing: `the NIC ran more than ${MAX_MICRO_STEPS} microcode instructions` }),
      ...(result.hostExit === undefined ? {} : { hostResumePc: this.image.hostExits[result.hostExit]?.resumePc }),
    };
  }
}

function loweredPcs(image: NicImage): Set<number> {
  const pcs = new Set<number>();
  for (const stage of image.stages) for (const o of stage.origins) if (o !== undefined) pcs.add(o.pc);
  return pcs;
}

function faultText(f: NonNullable<ReturnType<typeof runNicFunctional>["fault"]>): string {
  return f.where === "nic" ? `NIC stage ${f.stage}, microcode pc ${f.pc}: ${f.message}` : `host part, eBPF pc ${f.pc}: ${f.message}`;
}
