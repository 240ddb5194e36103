// The self-contained HTML report: one file that opens without network access.
// Text, figures and tables are written here from the report; the charts are
// drawn in the page by Chart.js (its UMD build inlined from node_modules, see
// docs/report-format.md for why Chart.js) from data derived in chart-data.ts.
// The report itself is embedded as JSON too, so the page carries its source.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { chartData } from "./chart-data.ts";
import { formatCount, formatGbps, formatMpps, formatNs, formatPercent } from "./format.ts";
import { formatOfferedRate } from "./offered-rate.ts";
import type { Equivalence, Report, RunResult, SweepResult } from "./schema.ts";
import { STAGE_HEADER, stageCells } from "./stage-table.ts";
import { equivalenceSentence } from "./terminal.ts";

const require = createRequire(import.meta.url);
const asset = (name: string): string => readFileSync(new URL(`./html-assets/${name}`, import.meta.url), "utf8");

// Chart.js's UMD build (beside the CommonJS entry the package exports), without its
// source-map comment: the map is not shipped in the page.
function chartJsSource(): string {
  const umd = join(dirname(require.resolve("chart.js")), "chart.umd.js");
  return readFileSync(umd, "utf8").replace(/\/\/# sourceMappingURL=\S+\s*$/, "");
}

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

// JSON inside <script>: "</" and U+2028/9 cannot end the script or break the parser.
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/<\//g, "<\\/").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");

export function renderHtml(report: Report): string {
  const title = report.kind === "run" ? `offload-sim: ${report.run.input.program} on ${report.run.input.cores} cores` : `offload-sim sweep: ${report.sweep.input.program}`;
  const body = report.kind === "run" ? runBody(report.run) : sweepBody(report.sweep);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${asset("report.css")}</style>
</head>
<body>
${body}
<footer>${escapeHtml(`${report.tool.name} ${report.tool.version}, report schema ${report.schema} v${report.version}`)}</footer>
<script id="report-json" type="application/json">${scriptJson(report)}</script>
<script id="chart-data" type="application/json">${scriptJson(chartData(report))}</script>
<script>${chartJsSource()}</script>
<script>${asset("report.js")}</script>
</body>
</html>
`;
}

const kpi = (id: string, label: string, value: string, detail = ""): string =>
  `<div class="kpi" id="kpi-${id}"><div class="kpi-label">${escapeHtml(label)}</div><div class="kpi-value" data-figure="${id}">${escapeHtml(value)}</div>${detail ? `<div class="kpi-detail">${escapeHtml(detail)}</div>` : ""}</div>`;

const chartCard = (id: string, title: string, wide = false): string =>
  `<section class="card${wide ? " wide" : ""}"><h2>${escapeHtml(title)}</h2><div class="chart"><canvas id="${id}"></canvas></div></section>`;

// `numeric`: indexes of the right-aligned columns (default: all but the first).
function table(id: string, header: readonly string[], rows: readonly (readonly string[])[], numeric?: readonly number[]): string {
  const isNum = (i: number): boolean => (numeric ? numeric.includes(i) : i > 0);
  const th = header.map((h, i) => `<th${isNum(i) ? ' class="num"' : ""}>${escapeHtml(h)}</th>`).join("");
  const tr = rows.map((r) => `<tr>${r.map((c, i) => `<td${isNum(i) ? ' class="num"' : ""}>${escapeHtml(c)}</td>`).join("")}</tr>`).join("\n");
  return `<table id="${id}"><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table>`;
}

function badge(eq: Equivalence): string {
  const cls = eq.status === "identical" ? "ok" : eq.status === "mismatch" ? "bad" : "warn";
  const text = eq.status === "identical" ? "identical to the host" : eq.status === "mismatch" ? "MISMATCH with the host" : "not checked";
  return `<span class="badge ${cls}" id="equivalence-badge">${escapeHtml(text)}</span>`;
}

function runBody(run: RunResult): string {
  const { input, offload, simulation: sim, equivalence: eq } = run;
  const traffic = input.traffic.kind === "pcap" ? `capture ${input.traffic.file}` : `generated: ${input.traffic.spec}`;
  const offloadBadge = offload.status === "full" ? `<span class="badge ok" id="offload-badge">fully offloaded</span>` : `<span class="badge warn" id="offload-badge">partly offloaded</span>`;
  const predicted = offload.predicted ? `plan predicted ${formatMpps(offload.predicted.mpps)}` : "no prediction";
  const parts: string[] = [];
  parts.push(`<header>
<div class="title"><h1 id="program-name">${escapeHtml(input.program)}</h1><div class="subtitle">${escapeHtml(`${input.object} on ${input.preset} (${input.presetDescription}), ${input.cores} cores, ${input.ports} × ${input.lineRateGbps} Gb/s`)}</div></div>
<div class="badges">${offloadBadge}${badge(eq)}</div>
</header>`);
  parts.push(`<section class="kpis">
${kpi("throughput", "Throughput", formatMpps(sim.throughput.mpps), `${formatGbps(sim.throughput.gbps)} on the wire; ${predicted}`)}
${kpi("p50", "Latency p50", formatNs(sim.latencyNs.p50))}
${kpi("p99", "Latency p99", formatNs(sim.latencyNs.p99))}
${kpi("p999", "Latency p99.9", formatNs(sim.latencyNs.p999))}
${kpi("packets", "Packets", formatCount(sim.packets.processed), `${formatCount(sim.packets.offered)} offered, ${formatCount(sim.packets.lost)} lost`)}
${kpi("equivalence", "Equivalence", eq.status === "skipped" ? "not checked" : `${formatCount(eq.packetsIdentical)}/${formatCount(eq.packetsCompared)}`, equivalenceSentence(eq))}
</section>`);
  parts.push(`<section class="callout" id="bottleneck"><strong>Bottleneck.</strong> ${escapeHtml(sim.bottleneck.sentence)}</section>`);
  if (offload.status === "partial") parts.push(`<section class="callout warn" id="host-reasons"><strong>On the host.</strong> ${escapeHtml(offload.reasons.join("; "))}</section>`);
  parts.push(`<div class="grid">
${chartCard("chart-throughput", "Throughput vs cores")}
${chartCard("chart-latency", "Latency distribution")}
${chartCard("chart-cores", "Utilisation per core")}
${chartCard("chart-units", "Utilisation per memory unit and path")}
${chartCard("chart-timeline", "A few packets through the stages", true)}
</div>`);
  parts.push(`<section class="card wide"><h2>Stages</h2>${table(
    "stage-table",
    // The shared columns, index and name in one cell, and the packets each stage saw.
    ["stage", ...STAGE_HEADER.slice(2), "packets"],
    offload.stages.map((s) => {
      const [index, name, ...rest] = stageCells(s);
      return [`${index} ${name}`, ...rest, formatCount(s.simulated.packets)];
    }),
  )}${offload.hostPart ? `<p>Host: ${escapeHtml(offload.hostPart.description)}</p>` : ""}${offload.maps.length ? `<p class="muted">Maps: ${escapeHtml(offload.maps.map((m) => `${m.map} in ${m.unit} (${formatCount(m.footprintBytes)} B)`).join(", "))}</p>` : ""}</section>`);
  parts.push(`<div class="grid">
<section class="card"><h2>Traffic</h2><p>${escapeHtml(`${formatCount(sim.packets.offered)} packets, ${traffic}, ${input.traffic.replay === "line-rate" ? "back to back at the line rate" : "at their own timestamps"}; ${formatOfferedRate(sim)}.`)}</p>
${table("action-table", ["action", "packets"], Object.entries(sim.actions).sort((a, b) => b[1] - a[1]).map(([a, n]) => [a, formatCount(n)]))}</section>
<section class="card"><h2>Drops by cause</h2>${sim.drops.length ? table("drop-table", ["cause", "packets", "meaning"], sim.drops.map((d) => [d.cause, formatCount(d.packets), d.description]), [1]) : "<p>No packet was dropped or lost.</p>"}</section>
</div>`);
  parts.push(equivalenceSection(eq));
  parts.push(listingSection(run));
  return `<main>${parts.join("\n")}</main>`;
}

function equivalenceSection(eq: Equivalence): string {
  if (eq.status !== "mismatch") return `<section class="card wide" id="equivalence"><h2>Equivalence with the host interpreter</h2><p>${escapeHtml(equivalenceSentence(eq))}.</p></section>`;
  const m = eq.firstMismatch;
  const detail = m
    ? `<h3>First mismatch: packet ${m.packet}</h3><p>${escapeHtml(m.decoded.join("; "))}</p><pre class="hex">${escapeHtml(m.hex)}</pre>
${table("mismatch-table", ["", "NIC", "host"], [["action", m.nic.action, m.host.action], ["fault", m.nic.fault ?? "-", m.host.fault ?? "-"], ["bytes out", String(m.nic.lengthBytes), String(m.host.lengthBytes)]], [])}
<ul>${[...m.differences, ...m.mapDiff].map((d) => `<li>${escapeHtml(d)}</li>`).join("")}</ul>`
    : "";
  const maps = eq.maps.filter((x) => !x.identical).map((x) => `<h3>Map ${escapeHtml(x.map)}</h3><ul>${x.differences.map((d) => `<li>${escapeHtml(d)}</li>`).join("")}</ul>`).join("");
  return `<section class="card wide bad" id="equivalence"><h2>Equivalence with the host interpreter</h2><p><strong>${escapeHtml(equivalenceSentence(eq))}</strong></p>${detail}${maps}</section>`;
}

function listingSection(run: RunResult): string {
  const listing = run.program.listing;
  const profiled = Math.max(1, run.program.profiledPackets);
  const hostRange = run.offload.hostPart?.ebpfRange ?? null;
  const onHost = (pc: number): boolean => hostRange !== null && pc >= hostRange[0] && pc <= hostRange[1];
  const rows = listing
    .map((l) => {
      // Runs per profiled packet: 1 for an instruction every packet runs once, more inside loops.
      const perPacket = l.hits / profiled;
      const heat = Math.min(1, perPacket);
      const src = l.source ? `<tr class="src"><td></td><td colspan="4">${escapeHtml(l.source)}</td></tr>` : "";
      const where = l.stage !== null ? `stage ${l.stage}` : onHost(l.pc) ? "host" : "-";
      return `${src}<tr class="insn${l.hits === 0 ? " cold" : ""}" style="--heat:${heat.toFixed(3)}"><td class="num">${l.pc}</td><td class="code">${escapeHtml(l.text)}</td><td class="where s${l.stage ?? (where === "host" ? "h" : "x")}">${where}</td><td class="num">${formatCount(l.hits)}</td><td class="heat"><span style="width:${(heat * 100).toFixed(1)}%"></span></td></tr>`;
    })
    .join("\n");
  const cut = listing.length > 0 && listing[listing.length - 1].pc + 2 < run.program.instructions ? `<p class="muted">The listing stops after ${listing.length} instructions.</p>` : "";
  return `<section class="card wide" id="listing"><h2>Program listing</h2><p class="muted">Hits: times the host interpreter ran each instruction over the first ${formatCount(run.program.profiledPackets)} packets; the bar and the shading show runs per packet. Rows never run are greyed.</p>${cut}
<table class="listing"><thead><tr><th class="num">pc</th><th>instruction</th><th>runs on</th><th class="num">hits</th><th>per packet</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function sweepBody(sweep: SweepResult): string {
  const { input } = sweep;
  const parts: string[] = [];
  const mismatches = sweep.points.filter((p) => p.equivalence === "mismatch").length;
  const checked = sweep.points.filter((p) => p.equivalence !== "skipped").length;
  const badgeHtml =
    checked === 0
      ? `<span class="badge warn" id="equivalence-badge">not checked</span>`
      : mismatches > 0
        ? `<span class="badge bad" id="equivalence-badge">${mismatches} of ${checked} points MISMATCH</span>`
        : `<span class="badge ok" id="equivalence-badge">all ${checked} points identical to the host</span>`;
  parts.push(`<header><div class="title"><h1 id="program-name">${escapeHtml(input.program)}</h1><div class="subtitle">${escapeHtml(`${input.object} on ${input.preset}: sweep over ${input.cores.join(", ")} cores and ${input.frameSizes.join(", ")}-byte frames, ${formatCount(input.packets)} packets per point`)}</div></div><div class="badges">${badgeHtml}</div></header>`);
  parts.push(`<section class="callout" id="scaling">${sweep.scaling.map((s) => `<p><strong>${s.frameBytes}-byte frames.</strong> ${escapeHtml(s.sentence)}</p>`).join("")}</section>`);
  parts.push(`<div class="grid">${chartCard("chart-throughput", "Throughput vs cores", true)}</div>`);
  parts.push(`<section class="card wide"><h2>Points</h2>${table(
    "sweep-table",
    ["frame bytes", "cores", "stages", "Mpps", "Gb/s", "line rate", "p99", "bottleneck", "check"],
    sweep.points.map((p) => [String(p.frameBytes), String(p.cores), String(p.stages), p.mpps.toFixed(2), p.gbps.toFixed(2), formatMpps(p.lineRateMpps), formatNs(p.p99Ns), `${p.bottleneck.resource} ${formatPercent(p.bottleneck.utilization)}`, p.equivalence]),
    [0, 1, 2, 3, 4, 5, 6],
  )}</section>`);
  if (sweep.failures.length) parts.push(`<section class="card wide warn"><h2>Points that failed</h2><ul>${sweep.failures.map((f) => `<li>${escapeHtml(`${f.cores} cores, ${f.frameBytes} B: ${f.message}`)}</li>`).join("")}</ul></section>`);
  return `<main>${parts.join("\n")}</main>`;
}
