// equiv --kernel on an object with a bloom filter (realworld2 ddos_sets.o,
// bad_sources): the kernel answers EOPNOTSUPP to BPF_MAP_GET_NEXT_KEY on a bloom
// filter (kernel/bpf/bloom_filter.c), so its contents are never read back; the
// command ends in a verdict instead of exit 2 on that syscall. Its LRU maps
// (quarantine) evict by per-CPU free lists: the model simulates the machine's
// possible CPUs and the kernel side writes and runs on CPU 0, as the model does,
// so the three agree.
import { describe, expect, it } from "vitest";
import { kernelAvailable } from "../kernel/kernel-gate.ts";
import { runInProcess } from "../support/cli-in-process.ts";

const FIXTURES = new URL("../fixtures/realworld2/", import.meta.url).pathname;

describe.skipIf(!kernelAvailable)("equiv --kernel with a bloom filter", () => {
  it("reaches a verdict on ddos_sets.o without reading bad_sources key by key", async () => {
    const out = await runInProcess(["equiv", `${FIXTURES}ddos_sets.o`, "--kernel", "--runs", "30", "--seed", "5", "--map", `bad_sources=${FIXTURES}ddos_sets.bad_sources.json`]);
    expect(out.crash).toBeUndefined();
    expect(out.stderr).not.toMatch(/EOPNOTSUPP|GET_NEXT_KEY/);
    expect(out.stdout + out.stderr).toMatch(/agree on all 30 cases/);
    expect(out.status, out.stdout + out.stderr).toBe(0);
  });
});
