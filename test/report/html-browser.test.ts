// The HTML report in a real browser (Debian's chromium, headless): it loads
// without errors and without touching the network, and the figures a reader
// sees (read from the page, not from its source) are the report's.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assemble, PROTO_COUNT_SOURCE } from "../../hw-model/index.ts";
import { runReport } from "../../src/report/build.ts";
import { renderHtml } from "../../src/report/html.ts";
import type { RunReport } from "../../src/report/schema.ts";
import { demoRun } from "../sim/demo-run.ts";
import { chromiumMissing, launchChromium, openReport } from "./browser.ts";

const missing = chromiumMissing();
if (missing) console.warn(`SKIPPED: the HTML report browser test needs chromium: ${missing}.`);

// "37.77 Mpps" -> 37.77; "101 µs" -> 101000 (ns); "1,234/1,234" -> [1234, 1234].
const number = (text: string): number => Number(text.replace(/,/g, "").match(/[\d.]+/)![0]);
function nanoseconds(text: string): number {
  const unit = text.trim().split(/\s+/).pop()!;
  const scale: Record<string, number> = { ns: 1, "µs": 1e3, ms: 1e6, s: 1e9 };
  return number(text) * scale[unit];
}

describe.skipIf(missing !== undefined)("HTML report in chromium", () => {
  const dir = mkdtempSync(join(tmpdir(), "report-html-"));
  let browser: Browser;
  const report: RunReport = runReport(demoRun({ cores: 6, packets: 3_000, spec: "mix=udp:1,tcp:1 flows=64 size=64..512" }));
  const mismatch: RunReport = runReport(
    demoRun({
      cores: 2,
      packets: 300,
      spec: "mix=udp:1,tcp:1 flows=8 size=64 rate=1G",
      image: (counters, cores) => ({ stages: [{ name: "wrong", program: assemble(PROTO_COUNT_SOURCE.replace("#17", "#6"), "wrong.uc"), cores }], maps: [{ map: counters, unit: "imem0" }] }),
    }),
  );

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = async (r: RunReport, name: string) => {
    const file = join(dir, name);
    writeFileSync(file, renderHtml(r));
    return openReport(browser, file);
  };

  it("loads without console errors and without any request leaving the file", async () => {
    const { page, errors, outsideRequests } = await open(report, "run.html");
    expect(errors).toEqual([]);
    expect(outsideRequests).toEqual([]);
    await page.close();
  });

  it("shows the run's figures", async () => {
    const { page } = await open(report, "figures.html");
    const sim = report.run.simulation;
    expect(await page.textContent("#program-name")).toBe(report.run.input.program);
    expect(Math.abs(number((await page.textContent("[data-figure=throughput]"))!) - sim.throughput.mpps)).toBeLessThan(0.006);
    for (const [id, value] of [["p50", sim.latencyNs.p50], ["p99", sim.latencyNs.p99], ["p999", sim.latencyNs.p999]] as const) {
      const shown = nanoseconds((await page.textContent(`[data-figure=${id}]`))!);
      // Shown with three significant digits.
      expect(Math.abs(shown - value!) / value!).toBeLessThan(0.01);
    }
    const eq = report.run.equivalence;
    if (eq.status === "skipped") throw new Error("the demo checks equivalence");
    expect((await page.textContent("[data-figure=equivalence]"))!.replace(/,/g, "")).toBe(`${eq.packetsIdentical}/${eq.packetsCompared}`);
    expect(await page.textContent("#equivalence-badge")).toBe("identical to the host");
    expect(await page.textContent("#bottleneck")).toContain(sim.bottleneck.sentence);
    expect(await page.locator("#stage-table tbody tr").count()).toBe(report.run.offload.stages.length);
    expect(await page.locator("#listing tr.insn").count()).toBe(report.run.program.listing.length);
    await page.close();
  });

  it("draws the charts from the report's data", async () => {
    const { page } = await open(report, "charts.html");
    const sim = report.run.simulation;
    // Runs in the page: its globals are not typed here.
    const charts = await page.evaluate(() => {
      type ChartLike = { data: { labels?: unknown[]; datasets: { data: unknown[] }[] } };
      const page = globalThis as unknown as { Chart: { getChart(id: string): ChartLike | undefined }; document: { getElementById(id: string): { width: number; height: number } } };
      const get = (id: string): ChartLike => page.Chart.getChart(id)!;
      const cores = get("chart-cores").data.datasets[0].data as number[];
      const latency = get("chart-latency").data.datasets[0].data as number[];
      const timeline = get("chart-timeline").data.labels!.length;
      const throughput = get("chart-throughput").data.datasets[0].data as { x: number; y: number }[];
      const sizes = ["chart-throughput", "chart-latency", "chart-cores", "chart-units", "chart-timeline"].map((id) => {
        const c = page.document.getElementById(id);
        return c.width * c.height;
      });
      return { cores, latency, timeline, throughput, sizes };
    });
    expect(charts.cores).toEqual(sim.cores.map((c) => c.utilization * 100));
    expect(charts.latency.reduce((a, b) => a + b, 0)).toBe(sim.packets.processed);
    expect(charts.timeline).toBe(sim.timeline.length);
    expect(charts.throughput).toEqual([{ x: report.run.input.cores, y: sim.throughput.mpps }]);
    for (const area of charts.sizes) expect(area).toBeGreaterThan(0);
    await page.close();
  });

  it("shows the first mismatch in detail when the NIC disagrees", async () => {
    const { page, errors } = await open(mismatch, "mismatch.html");
    expect(errors).toEqual([]);
    const eq = mismatch.run.equivalence;
    if (eq.status !== "mismatch" || !eq.firstMismatch) throw new Error("the altered microcode must disagree");
    expect(await page.textContent("#equivalence-badge")).toBe("MISMATCH with the host");
    const section = (await page.textContent("#equivalence"))!;
    expect(section).toContain(`First mismatch: packet ${eq.firstMismatch.packet}`);
    expect(section).toContain(eq.firstMismatch.hex);
    expect(await page.locator("#mismatch-table tbody tr").first().textContent()).toBe("actionXDP_DROPXDP_PASS");
    await page.close();
  });
});
