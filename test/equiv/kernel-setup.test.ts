// What the kernel side of `equiv --kernel` starts from must be what the host
// and the NIC start from: the same network for bpf_fib_lookup (the empty one
// without --env), the same object (with --map patches of .rodata), the same
// clocks (CLOCK_TAI too), the same task for bpf_get_current_pid_tgid; and a program the kernel's test run refuses is
// refused up front, with the sentence kernel-check gives.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatEquivReport, OffloadBackend, runEquivalence } from "../../src/equiv/index.ts";
import { EMPTY_ENVIRONMENT } from "../../src/equiv/environment.ts";
import { subjectFromObject } from "../../src/equiv/subject.ts";
import { kernelAvailable } from "../kernel/kernel-gate.ts";

const backend = OffloadBackend.forPreset("nfp-4000", { compileTimeoutMs: 30_000 });
afterAll(() => backend.close());

describe("equiv --kernel on programs the kernel's test run refuses", () => {
  // net/bpf/test_run.c bpf_prog_test_run_xdp: EINVAL for a program loaded with expected attach type BPF_XDP_DEVMAP or
  // BPF_XDP_CPUMAP; multi_stage.c puts xdp_egress in SEC("xdp/devmap") and xdp_on_cpu in SEC("xdp/cpumap").
  it.each([
    ["xdp_egress", "devmap", "xdp/devmap"],
    ["xdp_on_cpu", "cpumap", "xdp/cpumap"],
  ])("%s: says it is a %s entry's program instead of an EINVAL hint about the packet", async (program, entry, section) => {
    const run = runEquivalence({ objectFile: "test/fixtures/realworld2/multi_stage.o", program, runs: 1, seed: 1, kernel: true, backend });
    await expect(run).rejects.toThrow(
      `test/fixtures/realworld2/multi_stage.o: program ${program} is loaded for a ${entry} entry (section ${section}), and the kernel's BPF_PROG_TEST_RUN does not run such programs, so there is nothing to compare with.`,
    );
  });

  it("still compares such a program between the NIC and the host without --kernel", async () => {
    const report = await runEquivalence({ objectFile: "test/fixtures/realworld2/multi_stage.o", program: "xdp_egress", runs: 5, seed: 1, cores: [1], backend });
    expect(report.result.agreed, formatEquivReport(report)).toBe(true);
  });
});

describe("the subject's starting point", () => {
  it("gives the host side the empty network when no --env is given (the kernel side's fresh namespace)", () => {
    const subject = subjectFromObject({ objectFile: "test/interp/fixtures/fib_order.o" });
    expect(subject.environment).toEqual(EMPTY_ENVIRONMENT);
    expect(subject.routes).toBeDefined();
  });

  it("hands the kernel side the object with .rodata patched by --map", () => {
    const subject = subjectFromObject({
      objectFile: "test/fixtures/realworld2/rate_limit.o",
      mapFiles: [{ map: ".rodata", file: "test/fixtures/realworld2/rate_limit..rodata.json" }],
    });
    const rodata = subject.object?.maps.find((m) => m.name === ".rodata")?.initialValue;
    // rate_limit..rodata.json: the first knob, a u64, is 10 (packets per second); the second, 2 (the burst).
    const view = new DataView(rodata!.buffer, rodata!.byteOffset, rodata!.byteLength);
    expect([view.getBigUint64(0, true), view.getBigUint64(8, true)]).toEqual([10n, 2n]);
  });
});

const clangMissing = spawnSync("clang", ["--version"]).status !== 0;
if (clangMissing) console.warn("\n*** EQUIV TAI CLOCK TEST SKIPPED: clang is not installed (apt-get install clang libbpf-dev) ***\n");

// Stores CLOCK_TAI in whole seconds and TAI minus the monotonic clock in units of 2^24 ns: equal on every side only
// if the host runs that bracket the kernel's test run read TAI as the kernel does (monotonic plus the machine's offset).
const TAI_C = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
__u64 tai_seconds;
__u64 tai_minus_mono_units;
SEC("xdp")
int xdp_tai(struct xdp_md *ctx) {
  __u64 mono = bpf_ktime_get_ns();
  __u64 tai = bpf_ktime_get_tai_ns();
  tai_seconds = tai / 1000000000ULL;
  tai_minus_mono_units = (tai - mono) >> 24;
  return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;

describe.skipIf(!kernelAvailable)("NIC, host and kernel start alike", () => {
  it("fib_order.o without --env: the host side's fib lookups see the kernel's empty namespace", { timeout: 120_000 }, async () => {
    const report = await runEquivalence({ objectFile: "test/interp/fixtures/fib_order.o", runs: 5, seed: 1, cores: [1, 8], kernel: true, backend });
    expect(report.result.agreed, formatEquivReport(report)).toBe(true);
  });

  it("rate_limit.o with its .rodata knobs patched: the kernel loads the patched knobs", { timeout: 120_000 }, async () => {
    const report = await runEquivalence({
      objectFile: "test/fixtures/realworld2/rate_limit.o",
      mapFiles: [{ map: ".rodata", file: "test/fixtures/realworld2/rate_limit..rodata.json" }],
      runs: 10,
      seed: 2,
      cores: [1, 8],
      kernel: true,
      backend,
    });
    expect(report.result.agreed, formatEquivReport(report)).toBe(true);
  });

  it("task_clock.o: bpf_get_current_pid_tgid names, on the host sides too, the task the kernel's test run runs in", { timeout: 120_000 }, async () => {
    const report = await runEquivalence({ objectFile: "test/interp/fixtures/task_clock.o", runs: 5, seed: 1, cores: [1, 8], kernel: true, backend });
    expect(report.result.agreed, formatEquivReport(report)).toBe(true);
  });

  it.skipIf(clangMissing)("a program reading bpf_ktime_get_tai_ns is bracketed like the other clocks", { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "equiv-tai-"));
    try {
      writeFileSync(join(dir, "tai.c"), TAI_C);
      const built = spawnSync("clang", ["-O2", "-g", "-target", "bpf", `-I/usr/include/${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu`, "-c", "tai.c", "-o", "tai.o"], { cwd: dir, encoding: "utf8" });
      expect(built.status, built.stderr).toBe(0);
      const report = await runEquivalence({ objectFile: join(dir, "tai.o"), runs: 5, seed: 1, cores: [1], kernel: true, backend });
      expect(report.result.agreed, formatEquivReport(report)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
