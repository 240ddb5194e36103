// One point of a sweep: a full run at one core count and frame size, reduced
// to the figures the scaling curve needs. Runs in a worker thread or in the
// sweep's own thread; either way it is the same call.
import { OffloadSimError } from "../errors.ts";
import type { RunResult, SweepPoint } from "../report/schema.ts";
import { assembleRunResult, simulateRun, type RunRequest } from "./run.ts";
import type { HostHandoff } from "./scaling.ts";

// What crosses to a worker: plain data only.
export type PointRequest = Omit<RunRequest, "onProgress" | "cores" | "traffic"> & {
  readonly cores: number;
  readonly frameBytes: number;
  readonly spec: string;
};

export type PointOutcome =
  | { readonly kind: "point"; readonly point: SweepPoint; readonly program: string; readonly handoff: HostHandoff | null }
  | { readonly kind: "failure"; readonly message: string; readonly badInput: boolean };

export function runPoint(request: PointRequest): PointOutcome {
  try {
    const runRequest = { ...request, traffic: { kind: "generator" as const, spec: request.spec } };
    const { prepared, planned, driver } = simulateRun(runRequest);
    const run = assembleRunResult(runRequest, prepared, planned, driver);
    return { kind: "point", point: sweepPointOf(run, request.frameBytes), program: run.input.program, handoff: handoffOf(run, driver.hostPartPackets) };
  } catch (error) {
    if (error instanceof OffloadSimError) return { kind: "failure", message: error.message, badInput: true };
    return { kind: "failure", message: `internal error: ${error instanceof Error ? error.message : String(error)}`, badInput: false };
  }
}

export function sweepPointOf(run: RunResult, frameBytes: number): SweepPoint {
  const sim = run.simulation;
  const units = sim.memoryUnits.filter((u) => u.commands > 0 && u.kind !== "pcie");
  const busiestUnit = units.reduce<(typeof units)[number] | undefined>((best, u) => (best === undefined || u.utilization > best.utilization ? u : best), undefined);
  const stages = run.offload.stages;
  const busiestStage = stages.reduce<(typeof stages)[number] | undefined>((best, s) => (best === undefined || s.simulated.coreUtilization > best.simulated.coreUtilization ? s : best), undefined);
  return {
    cores: run.input.cores,
    frameBytes,
    mpps: sim.throughput.mpps,
    gbps: sim.throughput.gbps,
    lineRateMpps: sim.lineRateMpps,
    p99Ns: sim.latencyNs.p99,
    offload: run.offload.status,
    stages: stages.length,
    stageCores: stages.map((s) => s.cores.length),
    bottleneck: sim.bottleneck,
    equivalence: run.equivalence.status,
    lost: sim.packets.lost,
    busiestMemoryUnit: busiestUnit ? { name: busiestUnit.name, utilization: busiestUnit.utilization } : null,
    busiestStageCores: busiestStage ? { stage: busiestStage.index, utilization: busiestStage.simulated.coreUtilization } : null,
  };
}

// What the card passed to the host part at this point (null when the whole program is on the card).
export function handoffOf(run: RunResult, hostPackets: number): HostHandoff | null {
  const hostPart = run.offload.hostPart;
  if (hostPart === null) return null;
  return {
    hostPackets,
    packets: run.simulation.packets.processed,
    hostRange: hostPart.ebpfRange,
    instructions: run.program.instructions,
    reasons: run.offload.reasons,
    hostCoresUtilization: run.simulation.paths.host,
  };
}
