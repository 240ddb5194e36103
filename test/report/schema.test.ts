import { describe, expect, it } from "vitest";
import { runReport, sweepReport } from "../../src/report/build.ts";
import { REPORT_SCHEMA, REPORT_VERSION, validateReport, type SweepResult } from "../../src/report/schema.ts";
import { demoRun } from "../sim/demo-run.ts";

const run = demoRun({ packets: 400, spec: "mix=udp:1,tcp:1 flows=8 size=64 rate=2G" });
const report = runReport(run);
// A JSON round trip: what a reader of --json gets.
const clone = (): Record<string, any> => JSON.parse(JSON.stringify(report));

const sweep: SweepResult = {
  input: { object: "p.o", program: "p", preset: "nfp-4000", cores: [1, 2], frameSizes: [64], traffic: "udp", packets: 100, lineRateGbps: 25, ports: 2, check: true, workers: 1 },
  points: [
    {
      cores: 1,
      frameBytes: 64,
      mpps: 10,
      gbps: 6.7,
      lineRateMpps: 74.4,
      p99Ns: 900,
      offload: "full",
      stages: 1,
      stageCores: [1],
      bottleneck: { resource: "stage 0 cores", kind: "stage-cores", utilization: 0.99, sentence: "s" },
      equivalence: "identical",
      lost: 0,
      busiestMemoryUnit: null,
      busiestStageCores: { stage: 0, utilization: 0.99 },
    },
  ],
  scaling: [{ frameBytes: 64, stopsAtCores: null, limit: "none", sentence: "It scales." }],
  failures: [],
};

describe("report schema", () => {
  it("names itself and its version", () => {
    expect(report.schema).toBe("offload-sim/report");
    // Version 2: simulation.offeredMpps became nullable (an undefined rate).
    expect(report.version).toBe(2);
    expect([REPORT_SCHEMA, REPORT_VERSION]).toEqual(["offload-sim/report", 2]);
  });

  it("accepts a real run's report, also after a JSON round trip", () => {
    expect(validateReport(report)).toEqual([]);
    expect(validateReport(clone())).toEqual([]);
  });

  it("accepts a sweep report", () => {
    expect(validateReport(JSON.parse(JSON.stringify(sweepReport(sweep))))).toEqual([]);
  });

  it("names the path of a missing field", () => {
    const r = clone();
    delete r.run.simulation.throughput.mpps;
    expect(validateReport(r)).toEqual([{ path: "$.run.simulation.throughput.mpps", problem: "missing" }]);
  });

  it("refuses a field the schema does not have", () => {
    const r = clone();
    r.run.simulation.extra = 1;
    expect(validateReport(r)).toEqual([{ path: "$.run.simulation.extra", problem: "not a field of the schema" }]);
  });

  it("refuses a figure that is not a finite number (JSON turns NaN into null)", () => {
    const r = clone();
    r.run.simulation.durationNs = null;
    r.run.simulation.cores[0].utilization = "43 %";
    const errors = validateReport(r);
    expect(errors.map((e) => e.path)).toEqual(["$.run.simulation.durationNs", "$.run.simulation.cores[0].utilization"]);
  });

  it("refuses an unknown kind, another version, a bad equivalence status", () => {
    expect(validateReport({ ...clone(), kind: "walk" })[0].path).toBe("$.kind");
    expect(validateReport({ ...clone(), version: 1 })[0]).toEqual({ path: "$.version", problem: "expected 2, got number 1" });
    const r = clone();
    r.run.equivalence.status = "same";
    expect(validateReport(r)[0].path).toBe("$.run.equivalence.status");
  });

  it("accepts an undefined offered rate (null) and refuses a negative one", () => {
    const r = clone();
    r.run.simulation.offeredMpps = null;
    expect(validateReport(r)).toEqual([]);
    r.run.simulation.offeredMpps = -1;
    expect(validateReport(r).map((e) => e.path)).toEqual(["$.run.simulation.offeredMpps"]);
  });

  it("refuses a negative count and a fractional packet number", () => {
    const r = clone();
    r.run.simulation.packets.lost = -1;
    r.run.simulation.packets.offered = 1.5;
    expect(validateReport(r).map((e) => e.problem)).toEqual(["expected an integer, got 1.5", "expected at least 0, got -1"]);
  });
});
