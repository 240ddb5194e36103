import { describe, expect, it } from "vitest";
import type { SweepPoint } from "../../src/report/schema.ts";
import { validateReport } from "../../src/report/schema.ts";
import { sweepReport } from "../../src/report/build.ts";
import { analyseScaling, type HostHandoff } from "../../src/sim/scaling.ts";
import { parseNumberList, runSweep, specForSize } from "../../src/sim/sweep.ts";
import { SimInputError } from "../../src/sim/errors.ts";

const demoPoint = new URL("./demo-point.ts", import.meta.url).href;

function point(cores: number, mpps: number, bottleneck: Partial<SweepPoint["bottleneck"]>, extra: Partial<SweepPoint> = {}): SweepPoint {
  return {
    cores,
    frameBytes: 64,
    mpps,
    gbps: 0,
    lineRateMpps: 74.4,
    p99Ns: 1000,
    offload: "full",
    stages: 1,
    stageCores: [cores],
    bottleneck: { resource: "r", kind: "none", utilization: 0.5, sentence: "s.", ...bottleneck },
    equivalence: "identical",
    lost: 0,
    busiestMemoryUnit: null,
    busiestStageCores: null,
    ...extra,
  };
}

describe("scaling analysis", () => {
  it("finds no stop while doubling the cores keeps nearly doubling the throughput", () => {
    const s = analyseScaling(64, [point(1, 10, {}), point(2, 19.5, {}), point(4, 38, {})]);
    expect(s.stopsAtCores).toBeNull();
    expect(s.sentence).toContain("3.8x for 4x the cores");
  });

  it("stops where the line rate is reached", () => {
    const s = analyseScaling(64, [point(2, 40, {}), point(4, 74.3, {}), point(8, 74.3, { kind: "line-rate", resource: "line rate", utilization: 1 })]);
    expect(s).toMatchObject({ stopsAtCores: 4, limit: "line-rate" });
    expect(s.sentence).toContain("line rate (74.40 Mpps for 64-byte frames)");
  });

  it("blames the wire, not the busiest unit, once a point carries the line rate", () => {
    // 74.0 Mpps is 99.5 % of two 25 Gb/s ports of 64-byte frames (74.40 Mpps, IEEE 802.3 wire time of 84 bytes).
    const s = analyseScaling(64, [point(4, 74.0, { kind: "memory-unit", resource: "emem0", utilization: 0.93 }), point(8, 74.3, { kind: "memory-unit", resource: "emem0", utilization: 0.95 })]);
    expect(s).toMatchObject({ stopsAtCores: 4, limit: "line-rate" });
    expect(s.sentence).toContain("line rate (74.40 Mpps for 64-byte frames), so the wire is the bottleneck and more cores cannot help");
    expect(s.sentence).not.toContain("emem0");
  });

  it("says a curve that scales up to the line rate ends at the wire", () => {
    const s = analyseScaling(64, [point(1, 18.6, {}), point(2, 37.2, {}), point(4, 74.3, { kind: "stage-threads", resource: "stage 0 threads", utilization: 0.97, sentence: "Every thread of stage 0 is busy." })]);
    expect(s).toMatchObject({ stopsAtCores: null, limit: "line-rate" });
    expect(s.sentence).toContain("at 4 cores it runs at the line rate (74.40 Mpps for 64-byte frames): the wire is the bottleneck, and more cores cannot help.");
    expect(s.sentence).not.toContain("thread");
  });

  it("blames a saturated memory unit", () => {
    const s = analyseScaling(64, [point(4, 20, {}), point(8, 21, { kind: "memory-unit", resource: "emem0", utilization: 0.97 })]);
    expect(s).toMatchObject({ stopsAtCores: 4, limit: "memory-unit" });
    expect(s.sentence).toContain("memory unit emem0 is saturated (97 % busy at 8 cores)");
  });

  it("says a saturated stage that the plan did not give more cores cannot be replicated", () => {
    const a = point(4, 20, {}, { stages: 2, stageCores: [3, 1] });
    const b = point(8, 20.5, { kind: "stage-cores", resource: "stage 1 cores", utilization: 0.99 }, { stages: 2, stageCores: [7, 1], busiestStageCores: { stage: 1, utilization: 0.99 } });
    const s = analyseScaling(64, [a, b]);
    expect(s).toMatchObject({ stopsAtCores: 4, limit: "stage" });
    expect(s.sentence).toContain("stage 1 keeps 1 core however many the program gets");
  });
});

describe("scaling analysis of a program whose packets go to the host", () => {
  // 1,000 packets, 990 of them run by a host part at eBPF 9-157 of 158 instructions, kept there by two blockers.
  const handoff = (hostPackets: number): HostHandoff => ({
    hostPackets,
    packets: 1_000,
    hostRange: [9, 157],
    instructions: 158,
    reasons: ["pc 9: map 'counters': map type percpu_array is not offloadable.", "pc 13: it stores into a value of map 'counters'."],
    hostCoresUtilization: 0.43,
  });
  const stageBound = (cores: number, mpps: number): SweepPoint =>
    point(cores, mpps, { kind: "stage-cores", resource: "stage 0 cores", utilization: 0.93, sentence: "The cores of stage 0 are busy 93 % of the time issuing instructions: more cores for that stage, or a shorter stage, would raise throughput." }, { busiestStageCores: { stage: 0, utilization: 0.93 } });

  it("tells a user to offload the program's work, not to give the card stage more cores", () => {
    const s = analyseScaling(64, [stageBound(1, 1.7), stageBound(4, 6.6)], () => handoff(990));
    expect(s.stopsAtCores).toBeNull();
    expect(s.sentence).not.toContain("more cores for that stage");
    expect(s.sentence).toContain("99 % of the packets (990 of 1,000) left the card for the host part, which runs eBPF 9-157 of its 158 instructions");
    expect(s.sentence).toContain("only pass packets up");
    expect(s.sentence).toContain("host cores (busy 43 %)");
    expect(s.sentence).toContain("`offload-sim offload-check` lists all 2 reasons, the first being pc 9: map 'counters': map type percpu_array is not offloadable.");
    expect(s.sentence).toContain("Otherwise run it as XDP on the host");
  });

  it("says so where the curve stops at a card stage too", () => {
    const a = point(4, 20, {}, { busiestStageCores: { stage: 0, utilization: 0.5 } });
    const b = point(8, 20.5, { kind: "stage-cores", resource: "stage 0 cores", utilization: 0.99 }, { busiestStageCores: { stage: 0, utilization: 0.99 } });
    const s = analyseScaling(64, [a, b], (p) => (p === b ? handoff(1_000) : null));
    expect(s).toMatchObject({ stopsAtCores: 4, limit: "stage" });
    expect(s.sentence).toContain("Stops scaling at 4 cores (20.00 Mpps; 20.50 Mpps at 8): at 8 cores, all 1,000 packets left the card for the host part");
    expect(s.sentence).not.toContain("cannot be replicated");
  });

  it("keeps a limit off the card's stages and adds the advice after it", () => {
    const s = analyseScaling(64, [point(4, 20, {}), point(8, 21, { kind: "host", resource: "host cores", utilization: 0.97 })], () => handoff(1_000));
    expect(s).toMatchObject({ stopsAtCores: 4, limit: "host" });
    expect(s.sentence).toContain("the host cores are saturated (97 %) by what is passed up or left on the host. At 8 cores, all 1,000 packets left the card");
    expect(s.sentence).toContain("To offload the program");
  });

  it("leaves the card's advice alone when most packets stay on the card", () => {
    const plain = analyseScaling(64, [stageBound(1, 1.7), stageBound(4, 6.6)]);
    const s = analyseScaling(64, [stageBound(1, 1.7), stageBound(4, 6.6)], () => handoff(500));
    expect(s).toEqual(plain);
    expect(s.sentence).toContain("more cores for that stage");
  });
});

describe("sweep", () => {
  it("runs the grid in two worker threads and reads the curves", async () => {
    const result = await runSweep({ objectFile: "proto-count.o", cores: [1, 2, 4], frameSizes: [64, 512], spec: "mix=udp:1,tcp:1 flows=16", packets: 400, check: true, workers: 2, pointModule: demoPoint });
    expect(result.input.workers).toBe(2);
    expect(result.points.map((p) => [p.frameBytes, p.cores])).toEqual([[64, 1], [64, 2], [64, 4], [512, 1], [512, 2], [512, 4]]);
    expect(result.points.every((p) => p.equivalence === "identical")).toBe(true);
    // 512-byte frames: 2 x 25 Gb/s / ((512 + 8 + 12) x 8 bits) = 5.87 Mpps at line rate.
    expect(result.points.find((p) => p.frameBytes === 512)!.lineRateMpps).toBeCloseTo((2 * 25e9) / (532 * 8) / 1e6, 2);
    expect(result.scaling.map((s) => s.frameBytes)).toEqual([64, 512]);
    expect(validateReport(JSON.parse(JSON.stringify(sweepReport(result))))).toEqual([]);
  });

  it("gives the same points in one thread as in workers", async () => {
    const request = { objectFile: "proto-count.o", cores: [1, 2], frameSizes: [64], spec: "udp", packets: 300, check: false, pointModule: demoPoint };
    const one = await runSweep({ ...request, workers: 1 });
    const two = await runSweep({ ...request, workers: 2 });
    expect(one.points).toEqual(two.points);
  });

  it("sweeps a partly offloadable program without asking: xdp_udp_guard's .rodata allowlist stays on the host", async () => {
    const objectFile = new URL("../../programs/xdp_udp_guard.o", import.meta.url).pathname;
    const result = await runSweep({ objectFile, cores: [1, 2], spec: "udp flows=8", packets: 200, check: true, workers: 1 });
    expect(result.failures).toEqual([]);
    expect(result.points.map((p) => [p.cores, p.offload, p.equivalence])).toEqual([
      [1, "partial", "identical"],
      [2, "partial", "identical"],
    ]);
    // xdp_udp_guard.c reads its allowlist (.rodata, which the card cannot give) for every IPv4 UDP datagram:
    // every generated packet goes to the host, and the advice is about that, not about the card stage's cores.
    const [sentence] = result.scaling.map((s) => s.sentence);
    expect(sentence).toContain("all 200 packets left the card for the host part");
    expect(sentence).toContain("`offload-sim offload-check` lists all");
    expect(sentence).toContain("'.rodata'");
    expect(sentence).not.toContain("more cores for that stage");
  });

  it("gives the card's advice when xdp_udp_guard's packets stay on the card (TCP is passed before the allowlist)", async () => {
    const objectFile = new URL("../../programs/xdp_udp_guard.o", import.meta.url).pathname;
    const result = await runSweep({ objectFile, cores: [1, 2], spec: "tcp flows=8", packets: 200, check: false, workers: 1 });
    expect(result.points.map((p) => p.offload)).toEqual(["partial", "partial"]);
    expect(result.scaling[0].sentence).not.toContain("host part");
  });

  it("sets each frame size into the spec", () => {
    expect(specForSize("tcp flows=10 size=64..1500 zipf=1.1", 512)).toBe("tcp flows=10 zipf=1.1 size=512");
    expect(specForSize("", 64)).toBe("udp size=64");
  });

  it("refuses a malformed list in one sentence", () => {
    expect(() => parseNumberList("1,two,4", "--cores", 1, 48)).toThrow(SimInputError);
    expect(() => parseNumberList("1,two,4", "--cores", 1, 48)).toThrow("--cores takes a comma-separated list of whole numbers from 1 to 48, e.g. 1,2,4,8; 'two' is not one.");
    expect(parseNumberList("8,1,2,2", "--cores", 1, 48)).toEqual([1, 2, 8]);
  });
});
