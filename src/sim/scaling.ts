// Where a scaling curve stops scaling, and why, read from the sweep's points
// (one frame size, increasing core counts): the first step that gains less
// than a quarter of what proportional scaling would, and the bottleneck of
// the larger point of that step, sharpened by what the plan did (a saturated
// stage that the plan did not give more cores cannot be replicated). A point
// that already carries the line rate is limited by the wire, whatever unit
// on the card is busiest. A point whose packets (nearly) all leave the card
// for the host part is told apart: its card cores only pass packets up, so
// the advice is to move the program's work onto the card, not to add cores.
import type { Scaling, SweepPoint } from "../report/schema.ts";
import { AT_LINE_RATE, SATURATED } from "./bottleneck.ts";

// A step from c to c' cores "scales" when throughput grows by at least this share of c'/c - 1.
export const SCALING_EFFICIENCY = 0.25;

// A point at which at least this share of the packets went to the host part is host-bound: the card's
// cores mostly pass packets up, and more of them take none of the program's work off the host.
export const HOST_BOUND_SHARE = 0.9;

// What the card passed to the host part at one point (sweep-point.ts handoffOf).
export interface HostHandoff {
  // Packets the host part ran, of the packets processed.
  readonly hostPackets: number;
  readonly packets: number;
  // eBPF instructions [first, last] the host part runs (null when the plan does not say), of the program's.
  readonly hostRange: readonly [number, number] | null;
  readonly instructions: number;
  // Why parts stay on the host, one "pc N: why" each (the plan's, as offload-check prints them).
  readonly reasons: readonly string[];
  readonly hostCoresUtilization: number;
}

// The handoff of a sweep point; null or undefined when its whole program ran on the card.
export type HandoffOf = (point: SweepPoint) => HostHandoff | null | undefined;

const mpps = (x: number): string => `${x.toFixed(2)} Mpps`;
const percent = (u: number): string => `${Math.round(u * 100)} %`;
const count = (n: number): string => n.toLocaleString("en-US");
const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
const lowerFirst = (text: string): string => text.charAt(0).toLowerCase() + text.slice(1);

// The point's throughput is the line rate for its frame size (within AT_LINE_RATE).
const atLineRate = (p: SweepPoint): boolean => p.lineRateMpps > 0 && p.mpps >= AT_LINE_RATE * p.lineRateMpps;
const lineRateClause = (p: SweepPoint, frameBytes: number): string => `the line rate (${mpps(p.lineRateMpps)} for ${frameBytes}-byte frames)`;

export function analyseScaling(frameBytes: number, unsorted: readonly SweepPoint[], handoffOf: HandoffOf = () => null): Scaling {
  const points = [...unsorted].sort((a, b) => a.cores - b.cores);
  if (points.length === 0) return { frameBytes, stopsAtCores: null, limit: "none", sentence: "No point of this size ran." };
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i];
    const b = points[i + 1];
    const ideal = b.cores / a.cores - 1;
    const gained = a.mpps > 0 ? b.mpps / a.mpps - 1 : 0;
    if (gained < SCALING_EFFICIENCY * ideal) {
      const head = `Stops scaling at ${a.cores} core${a.cores === 1 ? "" : "s"} (${mpps(a.mpps)}; ${mpps(b.mpps)} at ${b.cores})`;
      return withHandoff(stopped(frameBytes, head, a, b), `${head}:`, b, handoffOf(b));
    }
  }
  const first = points[0];
  const last = points[points.length - 1];
  const speedup = first.mpps > 0 ? last.mpps / first.mpps : 0;
  const range = points.length > 1 ? ` from ${mpps(first.mpps)} at ${first.cores} core${first.cores === 1 ? "" : "s"} to ${mpps(last.mpps)} at ${last.cores} (${speedup.toFixed(1)}x for ${(last.cores / first.cores).toFixed(0)}x the cores)` : ` (${mpps(first.mpps)} at ${first.cores} cores)`;
  const head = `Scales over the whole range${range}`;
  const limitNote = atLineRate(last)
    ? `; at ${last.cores} cores it runs at ${lineRateClause(last, frameBytes)}: the wire is the bottleneck, and more cores cannot help.`
    : last.bottleneck.kind === "none"
      ? "."
      : `; at ${last.cores} cores, ${lowerFirst(last.bottleneck.sentence)}`;
  const scales: Scaling = { frameBytes, stopsAtCores: null, limit: atLineRate(last) ? "line-rate" : "none", sentence: `${head}${limitNote}` };
  // A card stage's advice is only the bottleneck's sentence here: the limit says "none" unless at the line rate.
  const cardStageNote = !atLineRate(last) && (last.bottleneck.kind === "none" || last.bottleneck.kind === "stage-cores" || last.bottleneck.kind === "stage-threads");
  return withHandoff(scales, `${head};`, last, handoffOf(last), cardStageNote);
}

function stopped(frameBytes: number, head: string, a: SweepPoint, b: SweepPoint): Scaling {
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

// The curve's sentence when `point` (the one that limits it) is host-bound: what its card cores do, and
// what a user can do about it (`lead` is the sentence's opening, up to where the limit is named).
// Advice about a card stage (more cores, a shorter stage) gives way to it;
// a limit off the card's stages (the wire, a memory unit, PCIe, the host) stays said before it.
function withHandoff(scaling: Scaling, lead: string, point: SweepPoint, handoff: HostHandoff | null | undefined, cardStageNote = scaling.limit === "stage" || scaling.limit === "none"): Scaling {
  if (!handoff || handoff.packets === 0 || handoff.hostPackets < HOST_BOUND_SHARE * handoff.packets) return scaling;
  const h = handoff;
  const who = h.hostPackets === h.packets ? `all ${count(h.packets)} packets` : `${percent(h.hostPackets / h.packets)} of the packets (${count(h.hostPackets)} of ${count(h.packets)})`;
  const hostPart = h.hostRange === null ? "the rest of the program" : `eBPF ${h.hostRange[0]}-${h.hostRange[1]} of its ${count(h.instructions)} instructions`;
  const cardBusy = point.busiestStageCores === null ? "" : ` (busy ${percent(point.busiestStageCores.utilization)})`;
  const what =
    `at ${point.cores} core${point.cores === 1 ? "" : "s"}, ${who} left the card for the host part, which runs ${hostPart}: ` +
    `the card's cores${cardBusy} only pass packets up, so more of them pass packets up faster but take none of the program's work off the host cores (busy ${percent(h.hostCoresUtilization)})`;
  const first = h.reasons[0];
  const blockers = first === undefined ? "" : `; \`offload-sim offload-check\` lists ${h.reasons.length === 1 ? "the reason" : `all ${count(h.reasons.length)} reasons`}, the first being ${first.replace(/\.$/, "")}`;
  const advice = `To offload the program, change what keeps it on the host${blockers}. Otherwise run it as XDP on the host, where its work is done anyway.`;
  const sentence = cardStageNote ? `${lead} ${what}. ${advice}` : `${scaling.sentence} ${capitalize(what)}. ${advice}`;
  return { ...scaling, sentence };
}
