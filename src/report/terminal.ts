// The terminal summary of a run or a sweep: what a user reads first. Every
// figure comes from the report (schema.ts); nothing is computed here beyond
// formatting. Colour only when asked (the CLI asks when stdout is a TTY).
import { formatCount, formatGbps, formatMpps, formatNs, formatPercent, formatRange, table } from "./format.ts";
import { formatOfferedRate } from "./offered-rate.ts";
import type { Equivalence, Report, RunResult, SweepResult } from "./schema.ts";
import { STAGE_HEADER, stageCells } from "./stage-table.ts";

export interface TerminalOptions {
  readonly color?: boolean;
}

interface Paint {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
}

const ansi = (code: string, reset: string) => (s: string) => `\x1b[${code}m${s}\x1b[${reset}m`;
const colorPaint: Paint = { bold: ansi("1", "22"), dim: ansi("2", "22"), green: ansi("32", "39"), red: ansi("31", "39"), yellow: ansi("33", "39") };
const plainPaint: Paint = { bold: (s) => s, dim: (s) => s, green: (s) => s, red: (s) => s, yellow: (s) => s };

// Per-core lines are shown up to this many cores; beyond it, one line per stage.
const MAX_CORE_LINES = 16;
const BAR_CELLS = 20;

export function renderTerminal(report: Report, options: TerminalOptions = {}): string {
  const paint = options.color ? colorPaint : plainPaint;
  const lines = report.kind === "run" ? runLines(report.run, paint) : sweepLines(report.sweep, paint);
  return `${lines.join("\n")}\n`;
}

function bar(fraction: number): string {
  const cells = Math.max(0, Math.min(BAR_CELLS, fraction * BAR_CELLS));
  const full = Math.floor(cells);
  const partial = " ▏▎▍▌▋▊▉"[Math.round((cells - full) * 7)] ?? "";
  return `${"█".repeat(full)}${full < BAR_CELLS ? partial : ""}`.padEnd(BAR_CELLS, " ");
}

const label = (paint: Paint, name: string): string => paint.bold(name.padEnd(12));

function runLines(run: RunResult, paint: Paint): string[] {
  const { input, offload, simulation: sim } = run;
  const lines: string[] = [];
  lines.push(`${paint.bold(input.object)}: program ${input.program} on ${input.preset} with ${input.cores} core${input.cores === 1 ? "" : "s"}`);
  lines.push("");

  const stageWord = `${offload.stages.length} stage${offload.stages.length === 1 ? "" : "s"}`;
  if (offload.status === "full") lines.push(`${label(paint, "Offload")}${paint.green("fully offloaded")}: ${stageWord} on the NIC`);
  else {
    lines.push(`${label(paint, "Offload")}${paint.yellow("partly offloaded")}: ${stageWord} on the NIC, the rest on the host${offload.hostPart ? ` (${offload.hostPart.description})` : ""}`);
    for (const reason of offload.reasons) lines.push(`${" ".repeat(12)}because ${reason}`);
  }
  lines.push("");
  lines.push(paint.bold("Stages"));
  lines.push(
    ...table(STAGE_HEADER, offload.stages.map(stageCells)),
  );
  if (offload.hostPart) lines.push(`  host: ${offload.hostPart.description}${offload.hostPart.ebpfRange ? ` (eBPF ${formatRange(offload.hostPart.ebpfRange)})` : ""}`);
  lines.push("");

  const traffic = input.traffic.kind === "pcap" ? `capture ${input.traffic.file}` : `generated "${input.traffic.spec}"`;
  const replay = input.traffic.replay === "line-rate" ? `back to back at ${input.ports} × ${input.lineRateGbps} Gb/s` : "at its own timestamps";
  lines.push(`${label(paint, "Traffic")}${formatCount(sim.packets.offered)} packets, ${traffic}, ${replay} (${formatOfferedRate(sim)})`);
  const predicted = offload.predicted ? `; the plan predicted ${formatMpps(offload.predicted.mpps)} (${offload.predicted.bottleneck})` : "";
  lines.push(`${label(paint, "Throughput")}${paint.bold(formatMpps(sim.throughput.mpps))}, ${formatGbps(sim.throughput.gbps)} on the wire (${formatGbps(sim.throughput.frameGbps)} of frames)${predicted}`);
  const l = sim.latencyNs;
  lines.push(`${label(paint, "Latency")}p50 ${formatNs(l.p50)}   p99 ${formatNs(l.p99)}   p99.9 ${formatNs(l.p999)}   (mean ${formatNs(l.mean)}, max ${formatNs(l.max)})`);
  const actions = Object.entries(sim.actions).sort((a, b) => b[1] - a[1]);
  lines.push(`${label(paint, "Actions")}${actions.length ? actions.map(([a, n]) => `${a} ${formatCount(n)}`).join(", ") : "none"}`);
  if (sim.drops.length === 0) lines.push(`${label(paint, "Drops")}none`);
  else sim.drops.forEach((d, i) => lines.push(`${i === 0 ? label(paint, "Drops") : " ".repeat(12)}${d.cause} ${formatCount(d.packets)}: ${d.description}`));
  lines.push("");

  lines.push(paint.bold("Utilisation"));
  if (sim.cores.length <= MAX_CORE_LINES) {
    for (const c of sim.cores) lines.push(`  core ${String(c.core).padStart(2)} (stage ${c.stage})  ${bar(c.utilization)} ${formatPercent(c.utilization).padStart(5)}`);
  } else {
    const byStage = new Map<number, number[]>();
    for (const c of sim.cores) byStage.set(c.stage, [...(byStage.get(c.stage) ?? []), c.utilization]);
    for (const [stage, us] of byStage) {
      const mean = us.reduce((a, b) => a + b, 0) / us.length;
      lines.push(`  stage ${stage}, ${us.length} cores  ${bar(mean)} ${formatPercent(mean).padStart(5)} mean (${formatPercent(Math.min(...us))}-${formatPercent(Math.max(...us))})`);
    }
  }
  for (const u of sim.memoryUnits.filter((m) => m.commands > 0)) {
    lines.push(`  ${u.name.padEnd(16)} ${bar(u.utilization)} ${formatPercent(u.utilization).padStart(5)}  ${formatCount(u.commands)} commands, mean queue ${formatNs(u.meanQueueNs)}`);
  }
  lines.push(`  ${"ingress ports".padEnd(16)} ${bar(sim.paths.line)} ${formatPercent(sim.paths.line).padStart(5)}`);
  lines.push(`  ${"packet engine".padEnd(16)} ${bar(sim.paths.ingress)} ${formatPercent(sim.paths.ingress).padStart(5)}`);
  lines.push(`  ${"egress ports".padEnd(16)} ${bar(sim.paths.egress)} ${formatPercent(sim.paths.egress).padStart(5)}`);
  lines.push(`  ${"host cores".padEnd(16)} ${bar(sim.paths.host)} ${formatPercent(sim.paths.host).padStart(5)}`);
  lines.push("");
  lines.push(`${label(paint, "Bottleneck")}${sim.bottleneck.sentence}`);
  lines.push(...equivalenceLines(run.equivalence, paint));
  return lines;
}

export function equivalenceSentence(eq: Equivalence): string {
  if (eq.status === "skipped") return `not checked (${eq.reason})`;
  const packets = `${formatCount(eq.packetsIdentical)}/${formatCount(eq.packetsCompared)} packets identical`;
  const mapsDiffer = eq.maps.filter((m) => !m.identical).map((m) => m.map);
  const maps = eq.maps.length === 0 ? "" : mapsDiffer.length === 0 ? ", final maps identical" : `, final maps differ (${mapsDiffer.join(", ")})`;
  const notRun = eq.packetsNotRun > 0 ? ` (${formatCount(eq.packetsNotRun)} lost before the program ran, not compared)` : "";
  return `${packets}${maps}${notRun}`;
}

function equivalenceLines(eq: Equivalence, paint: Paint): string[] {
  const head = label(paint, "Equivalence");
  if (eq.status === "skipped") return [`${head}${paint.yellow(equivalenceSentence(eq))}`];
  if (eq.status === "identical") return [`${head}${paint.green(equivalenceSentence(eq))}`];
  const lines = [`${head}${paint.red(`MISMATCH: ${equivalenceSentence(eq)}`)}`];
  const m = eq.firstMismatch;
  if (m) {
    lines.push(`  first mismatch: packet ${m.packet}`);
    for (const d of m.decoded) lines.push(`    packet   ${d}`);
    lines.push(`    hex      ${m.hex}`);
    lines.push(`    NIC      ${m.nic.action}${m.nic.fault ? ` (${m.nic.fault})` : ""}, ${m.nic.lengthBytes} bytes out${m.nic.hex !== m.hex ? `: ${m.nic.hex}` : " (unchanged)"}`);
    lines.push(`    host     ${m.host.action}${m.host.fault ? ` (${m.host.fault})` : ""}, ${m.host.lengthBytes} bytes out${m.host.hex !== m.hex ? `: ${m.host.hex}` : " (unchanged)"}`);
    for (const d of m.differences) lines.push(`    differs  ${d}`);
  }
  for (const map of eq.maps.filter((x) => !x.identical)) {
    lines.push(`  map "${map.map}" at the end of the run:`);
    for (const d of map.differences) lines.push(`    ${d}`);
  }
  return lines;
}

function sweepLines(sweep: SweepResult, paint: Paint): string[] {
  const { input } = sweep;
  const lines: string[] = [`${paint.bold(input.object)}: program ${input.program} on ${input.preset}, sweep over ${input.cores.join(", ")} cores`, ""];
  for (const size of input.frameSizes) {
    const points = sweep.points.filter((p) => p.frameBytes === size).sort((a, b) => a.cores - b.cores);
    if (points.length === 0) continue;
    lines.push(paint.bold(`${size}-byte frames`) + paint.dim(` (line rate ${formatMpps(points[0].lineRateMpps)})`));
    const best = Math.max(...points.map((p) => p.mpps), 1e-9);
    lines.push(
      ...table(
        ["cores", "stages", "Mpps", "", "Gb/s", "p99", "bottleneck", "check"],
        points.map((p) => [String(p.cores), String(p.stages), p.mpps.toFixed(2), bar(p.mpps / best), p.gbps.toFixed(2), formatNs(p.p99Ns), `${p.bottleneck.resource} ${formatPercent(p.bottleneck.utilization)}`, p.equivalence]),
      ),
    );
    const scaling = sweep.scaling.find((s) => s.frameBytes === size);
    if (scaling) lines.push(`  ${scaling.sentence}`);
    lines.push("");
  }
  for (const f of sweep.failures) lines.push(paint.yellow(`  ${f.cores} cores, ${f.frameBytes}-byte frames: ${f.message}`));
  return lines;
}
