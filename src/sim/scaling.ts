// Where a scaling curve stops scaling, and why, read from the sweep's points
// (one frame size, increasing core counts): the first step that gains less
// than a quarter of what proportional scaling would, and the bottleneck of
// the larger point of that step, sharpened by what the plan did (a saturated
// stage that the plan did not give more cores cannot be replicated). A point
// that already carries the line rate is limited by the wire, whatever unit
// on the card is busiest.
import type { Scaling, SweepPoint } from "../report/schema.ts";
import { AT_LINE_RATE, SATURATED } from "./bottleneck.ts";

// A step from c to c' cores "scales" when throughput grows by at least this share of c'/c - 1.
export const SCALING_EFFICIENCY = 0.25;

const mpps = (x: number): string => `${x.toFixed(2)} Mpps`;
const percent = (u: number): string => `${Math.round(u * 100)} %`;

// The point's throughput is the line rate for its frame size (within AT_LINE_RATE).
const atLineRate = (p: SweepPoint): boolean => p.lineRateMpps > 0 && p.mpps >= AT_LINE_RATE * p.lineRateMpps;
const lineRateClause = (p: SweepPoint, frameBytes: number): string => `the line rate (${mpps(p.lineRateMpps)} for ${frameBytes}-byte frames)`;

export function analyseScaling(frameBytes: number, unsorted: readonly SweepPoint[]): Scaling {
  const points = [...unsorted].sort((a, b) => a.cores - b.cores);
  if (points.length === 0) return { frameBytes, stopsAtCores: null, limit: "none", sentence: "No point of this size ran." };
  const first = points[0];
  const last = points[points.length - 1];
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i];
    const b = points[i + 1];
    const ideal = b.cores / a.cores - 1;
    const gained = a.mpps > 0 ? b.mpps / a.mpps - 1 : 0;
    if (gained < SCALING_EFFICIENCY * ideal) return stopped(frameBytes, a, b);
  }
  const speedup = first.mpps > 0 ? last.mpps / first.mpps : 0;
  const range = points.length > 1 ? ` from ${mpps(first.mpps)} at ${first.cores} core${first.cores === 1 ? "" : "s"} to ${mpps(last.mpps)} at ${last.cores} (${speedup.toFixed(1)}x for ${(last.cores / first.cores).toFixed(0)}x the cores)` : ` (${mpps(first.mpps)} at ${first.cores} cores)`;
  const lowerFirst = (text: string): string => text.charAt(0).toLowerCase() + text.slice(1);
  const limitNote = atLineRate(last)
    ? `; at ${last.cores} cores it runs at ${lineRateClause(last, frameBytes)}: the wire is the bottleneck, and more cores cannot help.`
    : last.bottleneck.kind === "none"
      ? "."
      : `; at ${last.cores} cores, ${lowerFirst(last.bottleneck.sentence)}`;
  return { frameBytes, stopsAtCores: null, limit: atLineRate(last) ? "line-rate" : "none", sentence: `Scales over the whole range${range}${limitNote}` };
}

function stopped(frameBytes: number, a: SweepPoint, b: SweepPoint): Scaling {
  const head = `Stops scaling at ${a.cores} core${a.cores === 1 ? "" : "s"} (${mpps(a.mpps)}; ${mpps(b.mpps)} at ${b.cores})`;
  const bn = b.bottleneck;
  // At the line rate the wire is the bottleneck, even when a unit on the card is also busy.
  if (bn.kind === "line-rate" || atLineRate(a) || atLineRate(b)) {
    return { frameBytes, stopsAtCores: a.cores, limit: "line-rate", sentence: `${head}: it has reached ${lineRateClause(b, frameBytes)}, so the wire is the bottleneck and more cores cannot help.` };
  }
  switch (bn.kind) {
    case "egress":
      return { frameBytes, stopsAtCores: a.cores, limit: "line-rate", sentence: `${head}: the egress ports are busy ${percent(bn.utilization)}, the line rate is the limit.` };
    case "memory-unit":
      return { frameBytes, stopsAtCores: a.cores, limit: "memory-unit", sentence: `${head}: memory unit ${bn.resource} is saturated (${percent(bn.utilization)} busy at ${b.cores} cores), so more cores only queue there.` };
    case "pcie":
      return { frameBytes, stopsAtCores: a.cores, limit: "pcie", sentence: `${head}: the PCIe link to the host is saturated (${percent(bn.utilization)}).` };
    case "host":
      return { frameBytes, stopsAtCores: a.cores, limit: "host", sentence: `${head}: the host cores are saturated (${percent(bn.utilization)}) by what is passed up or left on the host.` };
    case "ingress":
      return { frameBytes, stopsAtCores: a.cores, limit: "ingress", sentence: `${head}: the card's packet engine is saturated (${percent(bn.utilization)}).` };
    case "stage-cores":
    case "stage-threads": {
      const stage = b.busiestStageCores?.stage ?? 0;
      const before = a.stageCores[stage];
      const after = b.stageCores[stage];
      if (before !== undefined && after !== undefined && after <= before && Math.max(b.busiestStageCores?.utilization ?? 0, bn.utilization) >= SATURATED) {
        return {
          frameBytes,
          stopsAtCores: a.cores,
          limit: "stage",
          sentence: `${head}: stage ${stage} keeps ${after} core${after === 1 ? "" : "s"} however many the program gets and is busy ${percent(bn.utilization)}: that stage cannot be replicated.`,
        };
      }
      return { frameBytes, stopsAtCores: a.cores, limit: "stage", sentence: `${head}: ${bn.sentence}` };
    }
    case "none":
      return { frameBytes, stopsAtCores: a.cores, limit: "none", sentence: `${head}, though nothing on the card is saturated: the traffic offered is all it is given.` };
  }
}
