// `offload-sim run` end to end on the sample programs: the real verifier,
// offload compiler, NIC model and host interpreter.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateReport } from "../../src/report/schema.ts";
import { NotOffloadableError } from "../../src/sim/offload-step.ts";
import { runOffloadSim } from "../../src/sim/run.ts";

const program = (name: string): string => new URL(`../../programs/${name}.o`, import.meta.url).pathname;
// Its first instruction (llvm-objdump -d: "0: 85 00 00 00 05 00 00 00 call 5") is bpf_ktime_get_ns, which the card lacks.
const hostOnly = new URL("./fixtures/host_only.o", import.meta.url).pathname;
const bin = new URL("../../bin/offload-sim.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "sim-run-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Krude et al. (CoNEXT '21, §4.1): the NFP-4000's MAC receives at most about 54.4 Mpps (800 MHz / 14.7 cycles), below
// the 74.4 Mpps of 64-byte frames (84 bytes of wire time, IEEE 802.3) on the nfp-4000 preset's two 25 Gb/s ports.
const MAC_LIMIT_MPPS = 800 / 14.7;

describe("offload-sim run", () => {
  it("offloads xdp_drop fully on all 48 cores: it drops at the MAC's receive limit, as the plan predicts", () => {
    const run = runOffloadSim({ objectFile: program("xdp_drop"), cores: 48, traffic: { kind: "generator", spec: "udp size=64" }, packetLimit: 10_000, check: true });
    expect(run.offload.status).toBe("full");
    const dropped = run.simulation.actions.XDP_DROP;
    expect(run.simulation.actions).toEqual({ XDP_DROP: dropped });
    expect(dropped + run.simulation.packets.lost).toBe(10_000);
    expect(Math.abs(run.simulation.throughput.mpps - MAC_LIMIT_MPPS) / MAC_LIMIT_MPPS).toBeLessThan(0.01);
    expect(Math.abs(run.offload.predicted!.mpps - MAC_LIMIT_MPPS) / MAC_LIMIT_MPPS).toBeLessThan(0.01);
    expect(run.equivalence).toMatchObject({ status: "identical", packetsCompared: dropped, packetsIdentical: dropped });
  });

  it("--line-rate changes the ports for the plan's prediction and the simulation alike", () => {
    const run = runOffloadSim({ objectFile: program("xdp_drop"), cores: 8, traffic: { kind: "generator", spec: "udp size=64" }, packetLimit: 2_000, lineRateGbps: 4, check: false });
    // Two 4 Gb/s ports of 64-byte frames: 2 x 4e9 / (84 x 8) = 11.90 Mpps, below what 8 cores take
    // (8 x 800 MHz / the firmware's 417 cycles per packet = 15.3 Mpps, hw-model/presets/nfp-4000.json).
    const expected = (2 * 4e9) / (84 * 8) / 1e6;
    expect(run.input.lineRateGbps).toBe(4);
    expect(run.offload.predicted?.mpps).toBeCloseTo(expected, 2);
    expect(Math.abs(run.simulation.throughput.mpps - expected) / expected).toBeLessThan(0.01);
  });

  it("offloads xdp_mac_swap: every frame goes back out (XDP_TX), identical to the host byte for byte", () => {
    const run = runOffloadSim({ objectFile: program("xdp_mac_swap"), cores: 4, traffic: { kind: "generator", spec: "mix=udp:1,tcp:1 flows=50 size=64..512 rate=5G" }, packetLimit: 2_000, check: true });
    expect(run.simulation.packets).toEqual({ offered: 2_000, processed: 2_000, lost: 0 });
    expect(run.simulation.actions).toEqual({ XDP_TX: 2_000 });
    expect(run.equivalence.status).toBe("identical");
    // Nothing on the host; every instruction with code of its own is in the one stage (the final exit folds into the verdict).
    expect(run.offload.hostPart).toBeNull();
    expect(run.program.listing.filter((l) => l.stage === null).map((l) => l.text)).toEqual(["exit"]);
    expect(run.program.listing.filter((l) => l.stage !== null).every((l) => l.stage === 0)).toBe(true);
    expect(run.program.profiledPackets).toBe(1_000);
    // The listing carries the C source (line 14 of programs/xdp_mac_swap.c), read from the file clang named.
    expect(run.program.listing.map((l) => l.source)).toContain("xdp_mac_swap.c:14: void *data_end = (void *)(long)ctx->data_end;");
  });

  it("answers 'no', with the reason, for a program of which the card can run nothing", () => {
    const attempt = () => runOffloadSim({ objectFile: hostOnly, cores: 4, traffic: { kind: "generator", spec: "udp" }, packetLimit: 100, check: true });
    expect(attempt).toThrow(NotOffloadableError);
    expect(attempt).toThrow(/nothing of program host_only can run on the NIC \(pc 0: it calls bpf_ktime_get_ns, which the card does not offer\)\./);
  });

  it("from the command line: exit 0, a JSON report that validates, an HTML report", () => {
    const json = join(dir, "r.json");
    const html = join(dir, "r.html");
    const r = spawnSync(process.execPath, [bin, "run", program("xdp_mac_swap"), "--cores", "2", "--packets", "500", "--json", json, "--html", html], { encoding: "utf8", timeout: 120_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("500/500 packets identical");
    expect(validateReport(JSON.parse(readFileSync(json, "utf8")))).toEqual([]);
    expect(readFileSync(html, "utf8")).toContain("identical to the host");
  });

  it("catches a code-generator bug (a register move from the wrong bank) at the first packet, exit 1", () => {
    // The offload compiler's test-only fault injection, switched on in the child process only.
    const r = spawnSync(process.execPath, [bin, "run", program("xdp_mac_swap"), "--cores", "2", "--packets", "50"], { encoding: "utf8", timeout: 120_000, env: { ...process.env, OFFLOAD_SIM_MUTANT: "mov-wrong-register-bank" } });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("Equivalence MISMATCH: 0/50 packets identical");
    expect(r.stdout).toContain("first mismatch: packet 0");
    const field = (name: string): string => r.stdout.match(new RegExp(`^ {4}${name} +(.*)$`, "m"))![1];
    const input = field("hex");
    // What xdp_mac_swap does, by hand: the destination MAC (bytes 0-5) and the source MAC (6-11) trade places.
    const swapped = input.slice(12, 24) + input.slice(0, 12) + input.slice(24);
    expect(field("host")).toBe(`XDP_TX, ${input.length / 2} bytes out: ${swapped}`);
    expect(field("NIC")).toMatch(/^XDP_TX, \d+ bytes out: [0-9a-f]+$/);
    expect(field("NIC")).not.toBe(field("host"));
  });

  it("from the command line: a program of which the card can run nothing exits 1 with one sentence", () => {
    const r = spawnSync(process.execPath, [bin, "run", hostOnly, "--cores", "2", "--packets", "100"], { encoding: "utf8", timeout: 120_000 });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/host_only\.o: nothing of program host_only can run on the NIC/);
  });
});
