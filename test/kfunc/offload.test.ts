// A kfunc call blocks offload (the NIC firmware has no kfuncs): offload-check
// names it at its pc with its C line, and run runs that part on the host.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runInProcess } from "../support/cli-in-process.ts";
import { clangAvailable, compileFixture, kernelBtfAvailable } from "./fixtures.ts";

// The pc of each kfunc call, as llvm-objdump -dr shows them: the byte offset of each R_BPF_64_32 against a kfunc, over 8.
function kfuncCallPcs(object: string): Map<string, number> {
  const text = execFileSync("llvm-objdump", ["-dr", object]).toString();
  const pcs = new Map<string, number>();
  for (const match of text.matchAll(/([0-9a-f]+):\s+R_BPF_64_32\s+(\w+)/g)) pcs.set(match[2], parseInt(match[1], 16) / 8);
  return pcs;
}

const sourceLine = (needle: string): number =>
  readFileSync(join(import.meta.dirname, "..", "fixtures", "kfunc", "ct_lookup.c"), "utf8").split("\n").findIndex((l) => l.includes(needle)) + 1;

describe.runIf(clangAvailable && kernelBtfAvailable)("kfunc calls and the NIC", () => {
  it("offload-check lists each kfunc call with its pc, C line and name", async () => {
    const object = compileFixture("ct_lookup");
    const pcs = kfuncCallPcs(object);
    const outcome = await runInProcess(["offload-check", object]);
    expect(outcome.crash).toBeUndefined();
    const rows = outcome.stdout.split("\n");
    for (const [name, needle] of [["bpf_xdp_ct_lookup", "ct = bpf_xdp_ct_lookup("], ["bpf_ct_release", "bpf_ct_release(ct);"]] as const) {
      const pc = pcs.get(name)!;
      const row = rows.find((r) => r.startsWith(`${pc} `));
      expect(row, `offload-check row for pc ${pc}`).toBeDefined();
      expect(row).toContain(`ct_lookup.c:${sourceLine(needle)}`);
      expect(row).toContain(`calls the kernel function ${name} (a kfunc`);
    }
  });

  it("run sends the packets that reach the lookup to the host, which finds no entry (XDP_DROP), equal to the host reference", async () => {
    const outcome = await runInProcess(["run", compileFixture("ct_lookup"), "--cores", "8", "--traffic", "tcp flows=10", "--packets", "200"]);
    expect(outcome.crash).toBeUndefined();
    expect(outcome.stdout).toContain("200 of the 200 packets offered (100.0 %) went there");
    expect(outcome.stdout).toMatch(/Actions\s+XDP_DROP 200/);
    expect(outcome.stdout).toMatch(/Equivalence\s+200\/200 packets identical, final maps identical/);
  });
});
