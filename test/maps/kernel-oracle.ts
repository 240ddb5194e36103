// Builds test/maps/kernel-probe.c and runs scripts through the real kernel's
// bpf(), pinned to CPU 0. `kernelProbe()` says why it cannot when it cannot
// (not root, no compiler or libbpf, bpf() refused), so tests skip with a reason.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface KernelProbe {
  readonly run: (script: string) => string[];
  readonly possibleCpus: number;
}

// "0-1" or "0,2-3" -> the number of CPUs listed.
function countCpus(list: string): number {
  return list
    .trim()
    .split(",")
    .reduce((sum, part) => {
      const [first, last] = part.split("-").map(Number);
      return sum + (last === undefined ? 1 : last - first + 1);
    }, 0);
}

let cached: KernelProbe | string | undefined;

export function kernelProbe(): KernelProbe | string {
  if (cached !== undefined) return cached;
  cached = buildProbe();
  return cached;
}

function buildProbe(): KernelProbe | string {
  if (process.platform !== "linux") return "not Linux";
  if (process.getuid?.() !== 0) return "bpf() map creation needs root";
  const binary = join(mkdtempSync(join(tmpdir(), "offload-sim-probe-")), "kernel-probe");
  const source = new URL("./kernel-probe.c", import.meta.url).pathname;
  const failures: string[] = [];
  const built = ["cc", "clang"].some((compiler) => {
    try {
      execFileSync(compiler, ["-O1", "-o", binary, source, "-lbpf"], { stdio: "pipe" });
      return true;
    } catch (error) {
      failures.push(`${compiler}: ${(error as Error).message.split("\n")[0]}`);
      return false;
    }
  });
  if (!built) return `cannot build the probe against libbpf (${failures.join("; ")})`;
  const run = (script: string): string[] => {
    const result = spawnSync("taskset", ["-c", "0", binary], { input: script, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`kernel probe failed: ${result.stderr}`);
    return result.stdout.trimEnd().split("\n");
  };
  const smoke = run("create 2 4 4 1 0\n");
  if (!smoke[0]?.startsWith("ok")) return `the kernel refused BPF_MAP_CREATE (${smoke[0]})`;
  return { run, possibleCpus: countCpus(readFileSync("/sys/devices/system/cpu/possible", "utf8")) };
}
