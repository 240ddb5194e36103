// `offload-sim run` and `sweep` on bad input: one sentence on stderr, exit status 2, nothing on stdout.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createProgress } from "../../src/report/progress.ts";
import { parseLineRate } from "../../src/sim/line-rate.ts";

const bin = new URL("../../bin/offload-sim.js", import.meta.url).pathname;
const fixture = new URL("./fixtures/unchecked.o", import.meta.url).pathname;
const xdpPass = new URL("../../programs/xdp_pass.o", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "sim-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function offloadSim(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectBadInput(result: ReturnType<typeof offloadSim>, sentence: RegExp): void {
  expect(result.status).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr.trim().split("\n")).toHaveLength(1);
  expect(result.stderr).toMatch(sentence);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe("offload-sim run on bad input", () => {
  it("a program the verifier rejects: names the program and instruction, exit 2", () => {
    expectBadInput(offloadSim("run", fixture, "--cores", "2"), /the verifier rejects program unchecked at instruction \d+ \(.*\): .+\./);
  });

  it("a missing object file", () => {
    expectBadInput(offloadSim("run", join(dir, "absent.o"), "--cores", "2"), /cannot read .*absent\.o: no such file or directory \(ENOENT\)/);
  });

  it("a file that is not a capture", () => {
    const bogus = join(dir, "bogus.pcap");
    writeFileSync(bogus, "not a capture at all");
    expectBadInput(offloadSim("run", xdpPass, "--cores", "2", "--pcap", bogus), /bogus\.pcap: not a pcap or pcapng capture: it starts with bytes 6e 6f 74 20/);
  });

  it("an unknown preset, an unknown flag, too many cores", () => {
    expectBadInput(offloadSim("run", fixture, "--cores", "2", "--preset", "nfp-9000"), /unknown preset 'nfp-9000'/);
    expectBadInput(offloadSim("run", fixture, "--cores", "2", "--turbo"), /Unknown argument: turbo/);
    expectBadInput(offloadSim("run", fixture, "--cores", "99"), /--cores must be a whole number from 1 to 48/);
  });

  it("sweep: a malformed core list", () => {
    expectBadInput(offloadSim("sweep", fixture, "--cores", "1,x"), /--cores takes a comma-separated list/);
  });
});

describe("--line-rate", () => {
  it("reads rates in bits per second with a unit", () => {
    expect(parseLineRate("40G")).toBe(40);
    expect(parseLineRate("2.5G")).toBe(2.5);
    expect(parseLineRate("100000M")).toBe(100);
    expect(parseLineRate("100Gbps")).toBe(100);
    expect(() => parseLineRate("fast")).toThrow("--line-rate takes a rate such as 40G, 25G or 100G (bits per second), not 'fast'.");
  });
});

describe("progress bar", () => {
  const stream = (isTTY: boolean) => {
    const written: string[] = [];
    return { isTTY, columns: 100, write: (t: string) => written.push(t), written };
  };

  it("stays quiet for the first second, then draws on a terminal", () => {
    let now = 0;
    const s = stream(true);
    const p = createProgress(s, "simulating", () => now);
    now = 900;
    p.update(10, 100);
    expect(s.written).toEqual([]);
    now = 2_000;
    p.update(50, 100);
    expect(s.written.join("")).toContain("50/100 packets, 25/s, 2 s left");
    p.finish();
    expect(s.written[s.written.length - 1]).toBe("\r\x1b[K");
  });

  it("never draws when stderr is not a terminal", () => {
    let now = 0;
    const s = stream(false);
    const p = createProgress(s, "simulating", () => now);
    now = 10_000;
    p.update(50, 100);
    p.finish();
    expect(s.written).toEqual([]);
  });
});
