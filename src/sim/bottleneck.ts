// Names what limits a run, in one sentence, from the utilisation figures: the
// busiest resource, and what that means for someone deciding how many cores
// to give the program. The same reading drives the sweep's "where it stops
// scaling and why".
import type { Bottleneck } from "../report/schema.ts";

export type ResourceKind = Bottleneck["kind"];

export interface Resource {
  readonly name: string;
  readonly kind: Exclude<ResourceKind, "none" | "line-rate">;
  readonly utilization: number;
  // The stage a stage resource belongs to, and how many cores it has.
  readonly stage?: number;
  readonly cores?: number;
}

// A resource busy this share of the time is saturated: its queue grows without
// bound as the load approaches it (an M/M/1 queue at 90 % holds 9 waiting on average).
export const SATURATED = 0.9;

// The card took nearly everything offered: within this share of the line rate counts as "at line rate".
export const AT_LINE_RATE = 0.98;

export interface LoadFacts {
  // null: no rate (fewer than two arrival times), so no claim about the line rate.
  readonly offeredMpps: number | null;
  readonly lineRateMpps: number;
  readonly lostPackets: number;
}

const percent = (u: number): string => `${Math.round(u * 100)} %`;

export function findBottleneck(resources: readonly Resource[], load: LoadFacts): Bottleneck {
  const busiest = resources.reduce<Resource | undefined>((best, r) => (best === undefined || r.utilization > best.utilization ? r : best), undefined);
  const offeredMpps = load.offeredMpps ?? 0;
  const atLineRate = load.lineRateMpps > 0 && offeredMpps >= AT_LINE_RATE * load.lineRateMpps && load.lostPackets === 0;
  if (busiest === undefined || busiest.utilization < SATURATED) {
    const busiestText = busiest === undefined ? "" : ` (the busiest, ${busiest.name}, is at ${percent(busiest.utilization)})`;
    if (atLineRate) {
      return {
        resource: "line rate",
        kind: "line-rate",
        utilization: offeredMpps / load.lineRateMpps,
        sentence: `The wire is the limit: the card keeps up with the full line rate and no resource on it is saturated${busiestText}.`,
      };
    }
    return {
      resource: busiest?.name ?? "none",
      kind: "none",
      utilization: busiest?.utilization ?? 0,
      sentence: `Nothing is saturated${busiestText}: the offered load is below what the card can take.`,
    };
  }
  return { resource: busiest.name, kind: busiest.kind, utilization: busiest.utilization, sentence: explain(busiest) };
}

function explain(r: Resource): string {
  const u = percent(r.utilization);
  switch (r.kind) {
    case "memory-unit":
      return `Memory unit ${r.name} is busy ${u} of the time: map and packet accesses queue there, so more cores will not help; fewer accesses per packet or a faster unit for the hot map would.`;
    case "stage-cores": {
      const who = r.cores === 1 ? `The one core of stage ${r.stage} is` : `The ${r.cores} cores of stage ${r.stage} are`;
      return `${who} busy ${u} of the time issuing instructions: more cores for that stage, or a shorter stage, would raise throughput.`;
    }
    case "stage-threads":
      return `Every thread of stage ${r.stage ?? "?"} holds a packet ${u} of the time while waiting on memory: the stage is latency-bound, and more cores (more threads) for it would hide the latency.`;
    case "ingress":
      return `The packet engine that hands arriving packets to the cores is busy ${u} of the time: the card's ingress, not the program, is the limit.`;
    case "egress":
      return `The egress ports are busy ${u} of the time: transmitted packets fill the wire, so the line rate is the limit.`;
    case "pcie":
      return `The PCIe link to the host is busy ${u} of the time: packets passed to the host (or host stages) are the limit.`;
    case "host":
      return `The host cores are busy ${u} of the time with packets passed up or stages left on the host: the host, not the card, is the limit.`;
  }
}
