// bpf_ktime_get_tai_ns and bpf_get_current_pid_tgid against the kernel: kernel-check
// measures CLOCK_TAI - CLOCK_MONOTONIC and gives the interpreter this process's
// tgid/pid (BPF_PROG_TEST_RUN runs the program in the caller's context); every
// .bss byte that does not depend on the bracketed instant must match.
import { describe, expect, it } from "vitest";
import { runInProcess } from "../support/cli-in-process.ts";
import { kernelAvailable } from "../kernel/kernel-gate.ts";

const rootMissing = process.getuid?.() !== 0;
if (!kernelAvailable || rootMissing) console.log("task-clock-kernel: SKIPPING: needs root and the kernel's bpf()");

describe.skipIf(!kernelAvailable || rootMissing)("TAI clock and current task agree with the kernel", () => {
  it("task_clock.o", async () => {
    const outcome = await runInProcess(["kernel-check", "test/interp/fixtures/task_clock.o", "--packets", "200", "--trace", "20"]);
    expect(outcome.crash).toBeUndefined();
    expect(outcome.status, outcome.stdout + outcome.stderr).toBe(0);
    expect(outcome.stdout).toMatch(/^AGREE: .* 200 of 200 packets agree \(XDP_PASS 200\)/m);
  }, 60_000);
});
