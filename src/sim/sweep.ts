// `offload-sim sweep`: the same program run over a grid of core counts and
// frame sizes, in worker threads when the machine has more than one CPU,
// then read as scaling curves: how throughput grows with cores, and where
// and why it stops (scaling.ts).
import { availableParallelism } from "node:os";
import { loadPreset, totalCores } from "../../hw-model/index.ts";
import type { SweepPoint, SweepResult } from "../report/schema.ts";
import { parseTrafficSpec } from "../traffic/index.ts";
import { SimInputError } from "./errors.ts";
import { DEFAULT_PRESET, DEFAULT_SEED, type RunRequest } from "./run.ts";
import { analyseScaling, type HostHandoff } from "./scaling.ts";
import { runPoint, type PointOutcome, type PointRequest } from "./sweep-point.ts";
import { runInWorkers } from "./worker-pool.ts";

// Packets per point when --packets is not given: enough for a steady state, few enough for a grid.
export const DEFAULT_SWEEP_PACKETS = 5_000;
export const DEFAULT_SWEEP_SIZES: readonly number[] = [64];

// Sweep traffic is generated, so there is no capture to read partly.
export interface SweepRequest extends Omit<RunRequest, "cores" | "traffic" | "packetLimit" | "onProgress" | "partialCapture" | "onCaptureBroken" | "onCaptureNote"> {
  readonly cores: readonly number[];
  readonly frameSizes?: readonly number[];
  // A generator spec; its size= is replaced by each frame size.
  readonly spec?: string;
  readonly packets?: number;
  // Worker threads (default: one per CPU; 1 runs in this thread).
  readonly workers?: number;
  // The module whose `handle(PointRequest)` runs a point (tests substitute their own).
  readonly pointModule?: string;
  readonly onPoint?: (done: number, total: number) => void;
}

// Handles one point in a worker (the default pointModule).
export function handle(request: PointRequest): PointOutcome {
  return runPoint(request);
}

// The spec with its size= set to `frameBytes`.
export function specForSize(spec: string, frameBytes: number): string {
  const tokens = spec.trim().split(/\s+/).filter((t) => t !== "" && !/^size=/i.test(t));
  const withSize = [...(tokens.length ? tokens : ["udp"]), `size=${frameBytes}`].join(" ");
  parseTrafficSpec(withSize);
  return withSize;
}

export function parseNumberList(text: string, flag: string, min: number, max: number): number[] {
  const values = text.split(",").map((t) => t.trim());
  const numbers = values.map(Number);
  const bad = values.find((t, i) => !/^\d+$/.test(t) || numbers[i] < min || numbers[i] > max);
  if (bad !== undefined || numbers.length === 0) throw new SimInputError(`${flag} takes a comma-separated list of whole numbers from ${min} to ${max}, e.g. ${flag === "--cores" ? "1,2,4,8" : "64,512,1500"}; '${bad ?? text}' is not one.`);
  return [...new Set(numbers)].sort((a, b) => a - b);
}

export async function runSweep(request: SweepRequest): Promise<SweepResult> {
  const preset = loadPreset(request.preset ?? DEFAULT_PRESET);
  const maxCores = totalCores(preset);
  const tooMany = request.cores.find((c) => c > maxCores);
  if (tooMany !== undefined) throw new SimInputError(`--cores ${tooMany} is more than the ${maxCores} cores ${preset.name} gives the program.`);
  const sizes = request.frameSizes ?? DEFAULT_SWEEP_SIZES;
  const packets = request.packets ?? DEFAULT_SWEEP_PACKETS;
  const spec = request.spec ?? "";
  const { onPoint } = request;
  const common: Omit<PointRequest, "cores" | "frameBytes" | "spec"> = {
    objectFile: request.objectFile,
    ...(request.program === undefined ? {} : { program: request.program }),
    ...(request.preset === undefined ? {} : { preset: request.preset }),
    ...(request.maps === undefined ? {} : { maps: request.maps }),
    ...(request.lineRateGbps === undefined ? {} : { lineRateGbps: request.lineRateGbps }),
    check: request.check,
    seed: request.seed ?? DEFAULT_SEED,
    packetLimit: packets,
  };
  const jobs: PointRequest[] = sizes.flatMap((frameBytes) => request.cores.map((cores) => ({ ...common, cores, frameBytes, spec: specForSize(spec, frameBytes) })));
  const workers = Math.max(1, Math.min(request.workers ?? availableParallelism(), jobs.length));
  let done = 0;
  const progress = (): void => onPoint?.(++done, jobs.length);
  let outcomes: PointOutcome[];
  if (workers > 1) {
    outcomes = await runInWorkers<PointRequest, PointOutcome>(request.pointModule ?? import.meta.url, jobs, workers, progress);
  } else {
    const module = request.pointModule ? ((await import(request.pointModule)) as { handle(r: PointRequest): PointOutcome }) : { handle };
    outcomes = [];
    for (const job of jobs) {
      outcomes.push(module.handle(job));
      progress();
    }
  }
  const program = outcomes.find((o) => o.kind === "point")?.program ?? request.program ?? "";
  const points: SweepPoint[] = [];
  const failures: { cores: number; frameBytes: number; message: string }[] = [];
  const handoffs = new Map<SweepPoint, HostHandoff | null>();
  outcomes.forEach((o, i) => {
    if (o.kind === "failure") failures.push({ cores: jobs[i].cores, frameBytes: jobs[i].frameBytes, message: o.message });
    else {
      points.push(o.point);
      handoffs.set(o.point, o.handoff);
    }
  });
  // Every point failing the same way is one problem with the input, not a sweep result.
  const first = outcomes[0];
  if (points.length === 0 && first?.kind === "failure") {
    if (outcomes.every((o) => o.kind === "failure" && o.message === first.message)) throw new SimInputError(first.message);
    throw new SimInputError(`no point of the sweep ran; the first failure: ${first.message}`);
  }
  return {
    input: {
      object: request.objectFile,
      program,
      preset: preset.name,
      cores: [...request.cores],
      frameSizes: [...sizes],
      traffic: spec.trim() || "udp",
      packets,
      lineRateGbps: request.lineRateGbps ?? preset.ports.rateGbps,
      ports: preset.ports.count,
      check: request.check,
      workers,
    },
    points,
    scaling: sizes.map((size) => analyseScaling(size, points.filter((p) => p.frameBytes === size), (p) => handoffs.get(p))),
    failures,
  };
}
