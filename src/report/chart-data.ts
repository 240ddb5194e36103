// What the HTML report's charts draw, derived from the report alone: the
// throughput-vs-cores series, the latency histogram re-binned for display,
// utilisation bars and the packet timeline. Kept apart from the page so it
// can be tested without a browser.
import type { Report, RunResult, SweepResult } from "./schema.ts";

export interface SeriesPoint {
  readonly x: number;
  readonly y: number;
}

export interface ChartData {
  readonly throughput: {
    // A curve is measured; a prediction is the plan's; a line rate belongs to curve `of` (or stands alone).
    readonly series: readonly { readonly label: string; readonly points: readonly SeriesPoint[]; readonly role: "curve" | "prediction" | "line-rate"; readonly of?: number }[];
    readonly unit: "Mpps";
  };
  readonly latency?: {
    // Display bins: [lowerNs, upperNs, packets].
    readonly bins: readonly (readonly [number, number, number])[];
    readonly markers: readonly { readonly label: string; readonly ns: number }[];
  };
  readonly cores?: readonly { readonly label: string; readonly stage: number; readonly utilization: number }[];
  readonly units?: readonly { readonly label: string; readonly utilization: number }[];
  readonly timeline?: readonly {
    readonly label: string;
    readonly waitNs: readonly [number, number];
    readonly stages: readonly { readonly stage: number; readonly core: number; readonly startNs: number; readonly endNs: number }[];
    readonly fate: string;
  }[];
  readonly stageCount: number;
}

// Bars in the latency chart.
export const LATENCY_BINS = 40;

export function chartData(report: Report): ChartData {
  return report.kind === "run" ? runCharts(report.run) : sweepCharts(report.sweep);
}

function runCharts(run: RunResult): ChartData {
  const sim = run.simulation;
  const series: ChartData["throughput"]["series"][number][] = [{ label: "simulated", points: [{ x: run.input.cores, y: sim.throughput.mpps }], role: "curve" }];
  if (run.offload.predicted) series.push({ label: "predicted by the plan", points: [{ x: run.input.cores, y: run.offload.predicted.mpps }], role: "prediction" });
  if (sim.lineRateMpps > 0) series.push({ label: "line rate", points: [{ x: 0, y: sim.lineRateMpps }, { x: run.input.cores + 1, y: sim.lineRateMpps }], role: "line-rate" });
  const percentiles: readonly (readonly [string, number | null])[] = [
    ["p50", sim.latencyNs.p50],
    ["p99", sim.latencyNs.p99],
    ["p99.9", sim.latencyNs.p999],
  ];
  const markers = percentiles.flatMap(([label, ns]) => (ns === null ? [] : [{ label, ns }]));
  const t0 = Math.min(...sim.timeline.map((p) => p.arrivalNs), Infinity);
  return {
    throughput: { series, unit: "Mpps" },
    latency: { bins: rebin(sim.latencyNs.histogram, LATENCY_BINS), markers },
    cores: sim.cores.map((c) => ({ label: `core ${c.core}`, stage: c.stage, utilization: c.utilization })),
    units: [
      ...sim.memoryUnits.filter((u) => u.commands > 0).map((u) => ({ label: u.name, utilization: u.utilization })),
      { label: "ingress ports", utilization: sim.paths.line },
      { label: "packet engine", utilization: sim.paths.ingress },
      { label: "egress ports", utilization: sim.paths.egress },
      { label: "host cores", utilization: sim.paths.host },
    ],
    timeline: sim.timeline.map((p) => ({
      label: `#${p.packet} ${p.action}`,
      waitNs: [p.arrivalNs - t0, (p.stages[0]?.startNs ?? p.endNs) - t0] as const,
      stages: p.stages.map((s) => ({ stage: s.stage, core: s.core, startNs: s.startNs - t0, endNs: s.endNs - t0 })),
      fate: p.fate,
    })),
    stageCount: run.offload.stages.length,
  };
}

function sweepCharts(sweep: SweepResult): ChartData {
  const sizes = [...new Set(sweep.points.map((p) => p.frameBytes))].sort((a, b) => a - b);
  const series = sizes.flatMap((size, curve): ChartData["throughput"]["series"][number][] => {
    const points = sweep.points.filter((p) => p.frameBytes === size).sort((a, b) => a.cores - b.cores);
    const cores = points.map((p) => p.cores);
    return [
      { label: `${size} B frames`, points: points.map((p) => ({ x: p.cores, y: p.mpps })), role: "curve" },
      { label: `${size} B line rate`, points: cores.length ? [{ x: Math.min(...cores), y: points[0].lineRateMpps }, { x: Math.max(...cores), y: points[0].lineRateMpps }] : [], role: "line-rate", of: curve },
    ];
  });
  return { throughput: { series, unit: "Mpps" }, stageCount: 0 };
}

// Merges log-linear buckets into at most `count` bins of equal width on a log scale, over the range that has packets.
export function rebin(buckets: readonly (readonly [number, number, number])[], count: number): [number, number, number][] {
  if (buckets.length === 0) return [];
  const lo = Math.max(1, buckets[0][0]);
  const hi = Math.max(lo * 1.0001, buckets[buckets.length - 1][1]);
  if (buckets.length <= count) return buckets.map(([a, b, n]) => [a, b, n]);
  const logLo = Math.log(lo);
  const step = (Math.log(hi) - logLo) / count;
  const bins: [number, number, number][] = Array.from({ length: count }, (_, i) => [Math.exp(logLo + i * step), Math.exp(logLo + (i + 1) * step), 0]);
  for (const [a, b, n] of buckets) {
    const mid = Math.sqrt(Math.max(a, 1) * b);
    const i = Math.min(count - 1, Math.max(0, Math.floor((Math.log(mid) - logLo) / step)));
    bins[i][2] += n;
  }
  return bins;
}
