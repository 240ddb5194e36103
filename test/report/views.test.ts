import { describe, expect, it } from "vitest";
import { assemble, PROTO_COUNT_SOURCE } from "../../hw-model/index.ts";
import { runReport } from "../../src/report/build.ts";
import { rebin } from "../../src/report/chart-data.ts";
import { formatCoreSet, formatNs, stripAnsi } from "../../src/report/format.ts";
import { renderMarkdown } from "../../src/report/markdown.ts";
import { renderTerminal } from "../../src/report/terminal.ts";
import { demoRun } from "../sim/demo-run.ts";

const identical = runReport(demoRun({ cores: 4, packets: 500, spec: "mix=udp:1,tcp:1 flows=8 size=64 rate=1G" }));
const wrong = runReport(
  demoRun({
    cores: 2,
    packets: 200,
    spec: "mix=udp:1,tcp:1 flows=8 size=64 rate=1G",
    image: (counters, cores) => ({ stages: [{ name: "wrong", program: assemble(PROTO_COUNT_SOURCE.replace("#17", "#6"), "wrong.uc"), cores }], maps: [{ map: counters, unit: "imem0" }] }),
  }),
);

describe("terminal summary", () => {
  const text = renderTerminal(identical);

  it("says how many packets were identical, in the words a user checks for", () => {
    expect(text).toContain("500/500 packets identical, final maps identical");
  });

  it("prints throughput in Mpps and Gb/s and the three latency percentiles", () => {
    const sim = identical.run.simulation;
    expect(text).toContain(`${sim.throughput.mpps.toFixed(3)} Mpps`);
    expect(text).toContain(`${sim.throughput.gbps.toFixed(2)} Gb/s on the wire`);
    expect(text).toMatch(/p50 \S+ [nµm]?s {3}p99 \S+ [nµm]?s {3}p99\.9 \S+ [nµm]?s/);
  });

  it("has the stage table, one line per core and the bottleneck sentence", () => {
    expect(text).toMatch(/#\s+name\s+cores/);
    expect(text).toMatch(/0\s+proto-count\s+0-3/);
    for (let c = 0; c < 4; c++) expect(text).toContain(`core  ${c} (stage 0)`);
    expect(text).toContain(`Bottleneck  ${identical.run.simulation.bottleneck.sentence}`);
  });

  it("details the first mismatch: the packet decoded and in hex, both outcomes", () => {
    const t = renderTerminal(wrong);
    const eq = wrong.run.equivalence;
    if (eq.status !== "mismatch" || !eq.firstMismatch) throw new Error("expected a mismatch");
    expect(t).toContain("MISMATCH");
    expect(t).toContain(`first mismatch: packet ${eq.firstMismatch.packet}`);
    expect(t).toContain(`hex      ${eq.firstMismatch.hex}`);
    expect(t).toMatch(/NIC {6}XDP_DROP/);
    expect(t).toMatch(/host {5}XDP_PASS/);
  });

  it("colours only when asked", () => {
    expect(renderTerminal(identical)).not.toContain("\x1b[");
    const coloured = renderTerminal(identical, { color: true });
    expect(coloured).toContain("\x1b[32m");
    expect(stripAnsi(coloured)).toBe(text);
  });
});

describe("markdown", () => {
  it("has a summary table, the stage table and the equivalence line", () => {
    const md = renderMarkdown(identical);
    expect(md).toContain("# offload-sim run: proto_count (proto-count.o)");
    expect(md).toContain("| Equivalence | identical: 500/500 packets identical, final maps identical |");
    expect(md).toMatch(/\| 0 \| proto-count \| 0-3 \|/);
  });

  it("has a first-mismatch section when the NIC disagrees", () => {
    expect(renderMarkdown(wrong)).toContain("## First mismatch");
  });
});

describe("formatting", () => {
  it("writes durations with a unit that keeps them short", () => {
    expect(formatNs(850)).toBe("850 ns");
    expect(formatNs(1_260)).toBe("1.26 µs");
    expect(formatNs(101_000)).toBe("101 µs");
    expect(formatNs(2_500_000)).toBe("2.50 ms");
    expect(formatNs(null)).toBe("n/a");
  });

  it("writes core sets as ranges", () => {
    expect(formatCoreSet([3, 0, 1, 2, 8, 9, 12])).toBe("0-3, 8-9, 12");
  });

  it("re-bins the latency histogram without losing a packet", () => {
    const buckets = Array.from({ length: 300 }, (_, i) => [100 + i * 10, 110 + i * 10, i % 7] as const);
    const bins = rebin(buckets, 40);
    expect(bins.length).toBe(40);
    expect(bins.reduce((s, b) => s + b[2], 0)).toBe(buckets.reduce((s, b) => s + b[2], 0));
  });
});
