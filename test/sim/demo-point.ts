// A sweep point made from the hw-model demo instead of a compiled program, so
// the sweep (grid, workers, scaling analysis) is tested without the offload compiler.
import type { PointOutcome, PointRequest } from "../../src/sim/sweep-point.ts";
import { sweepPointOf } from "../../src/sim/sweep-point.ts";
import { demoRun } from "./demo-run.ts";

export function handle(request: PointRequest): PointOutcome {
  const run = demoRun({ cores: request.cores, spec: request.spec, packets: request.packetLimit ?? 2_000, check: request.check });
  return { kind: "point", point: sweepPointOf(run, request.frameBytes), program: run.input.program, handoff: null };
}
