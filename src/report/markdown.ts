// The markdown view of a report: the same figures as the terminal summary,
// as headings and tables to paste into an issue or a review.
import { formatCount, formatGbps, formatMpps, formatNs, formatPercent } from "./format.ts";
import { formatOfferedRate } from "./offered-rate.ts";
import type { Report, RunResult, SweepResult } from "./schema.ts";
import { STAGE_HEADER, stageCells } from "./stage-table.ts";
import { equivalenceSentence } from "./terminal.ts";

export function renderMarkdown(report: Report): string {
  const lines = report.kind === "run" ? runMarkdown(report.run) : sweepMarkdown(report.sweep);
  return `${lines.join("\n")}\n`;
}

const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [`| ${header.map(cell).join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`)];
}

function runMarkdown(run: RunResult): string[] {
  const { input, offload, simulation: sim, equivalence: eq } = run;
  const lines: string[] = [`# offload-sim run: ${input.program} (${input.object})`, ""];
  lines.push(`Preset **${input.preset}** (${input.presetDescription}), **${input.cores}** cores, ${input.ports} ports at ${input.lineRateGbps} Gb/s.`, "");
  lines.push("## Summary", "");
  const offloadText = offload.status === "full" ? "fully offloaded" : `partly offloaded (${offload.reasons.join("; ")})`;
  lines.push(
    ...mdTable(
      ["", ""],
      [
        ["Offload", `${offloadText}, ${offload.stages.length} stage(s)`],
        ["Throughput", `${formatMpps(sim.throughput.mpps)}, ${formatGbps(sim.throughput.gbps)} on the wire`],
        ["Predicted by the plan", offload.predicted ? `${formatMpps(offload.predicted.mpps)} (${offload.predicted.bottleneck})` : "n/a"],
        ["Latency p50 / p99 / p99.9", `${formatNs(sim.latencyNs.p50)} / ${formatNs(sim.latencyNs.p99)} / ${formatNs(sim.latencyNs.p999)}`],
        ["Bottleneck", sim.bottleneck.sentence],
        ["Equivalence", `${eq.status}: ${equivalenceSentence(eq)}`],
      ],
    ),
    "",
  );
  lines.push("## Stages", "");
  lines.push(
    ...mdTable(STAGE_HEADER, offload.stages.map(stageCells)),
    "",
  );
  if (offload.hostPart) lines.push(`On the host: ${offload.hostPart.description}.`, "");
  lines.push("## Traffic and drops", "");
  const traffic = input.traffic.kind === "pcap" ? `capture \`${input.traffic.file}\`` : `generated \`${input.traffic.spec}\``;
  lines.push(`${formatCount(sim.packets.offered)} packets from ${traffic}; ${formatCount(sim.packets.processed)} processed, ${formatCount(sim.packets.lost)} lost; ${formatOfferedRate(sim)}.`, "");
  if (sim.drops.length === 0) lines.push("No packet was dropped or lost.", "");
  else lines.push(...mdTable(["cause", "packets", "meaning"], sim.drops.map((d) => [d.cause, formatCount(d.packets), d.description])), "");
  lines.push("## Utilisation", "");
  lines.push(
    ...mdTable(
      ["resource", "utilisation", "detail"],
      [
        ...sim.cores.map((c) => [`core ${c.core}`, formatPercent(c.utilization), `stage ${c.stage}, ${formatCount(c.packets)} packets`]),
        ...sim.memoryUnits.filter((u) => u.commands > 0).map((u) => [u.name, formatPercent(u.utilization), `${formatCount(u.commands)} commands, mean queue ${formatNs(u.meanQueueNs)}`]),
        ["ingress ports", formatPercent(sim.paths.line), "offered frames on the wire"],
        ["packet engine", formatPercent(sim.paths.ingress), ""],
        ["egress ports", formatPercent(sim.paths.egress), ""],
        ["host cores", formatPercent(sim.paths.host), ""],
      ],
    ),
    "",
  );
  if (eq.status !== "skipped" && eq.firstMismatch) {
    const m = eq.firstMismatch;
    lines.push("## First mismatch", "", `Packet ${m.packet}: ${m.decoded.join("; ")}`, "", "```", m.hex, "```", "");
    lines.push(...mdTable(["", "NIC", "host"], [["action", m.nic.action, m.host.action], ["fault", m.nic.fault ?? "-", m.host.fault ?? "-"], ["bytes out", String(m.nic.lengthBytes), String(m.host.lengthBytes)]]), "");
    lines.push(...m.differences.map((d) => `- ${d}`), ...m.mapDiff.map((d) => `- ${d}`), "");
  }
  return lines;
}

function sweepMarkdown(sweep: SweepResult): string[] {
  const { input } = sweep;
  const lines = [`# offload-sim sweep: ${input.program} (${input.object})`, "", `Preset **${input.preset}**, traffic \`${input.traffic}\`, ${formatCount(input.packets)} packets per point.`, ""];
  lines.push(
    ...mdTable(
      ["frame bytes", "cores", "stages", "Mpps", "Gb/s", "line rate Mpps", "p99", "bottleneck", "check"],
      sweep.points.map((p) => [String(p.frameBytes), String(p.cores), String(p.stages), p.mpps.toFixed(2), p.gbps.toFixed(2), p.lineRateMpps.toFixed(2), formatNs(p.p99Ns), `${p.bottleneck.resource} (${formatPercent(p.bottleneck.utilization)})`, p.equivalence]),
    ),
    "",
    "## Where it stops scaling",
    "",
    ...sweep.scaling.map((s) => `- ${s.frameBytes}-byte frames: ${s.sentence}`),
    "",
  );
  if (sweep.failures.length) lines.push("## Points that failed", "", ...sweep.failures.map((f) => `- ${f.cores} cores, ${f.frameBytes} B: ${f.message}`), "");
  return lines;
}
