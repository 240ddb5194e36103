// offload-check and partition end to end, through bin/offload-sim.js.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const BIN = join(import.meta.dirname, "../../bin/offload-sim.js");
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });

describe("offload-sim offload-check", () => {
  it("answers yes (exit 0) for a program the card runs in full", () => {
    const r = run("offload-check", "programs/xdp_mac_swap.o");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("can be offloaded to nfp-4000 in full");
  });

  it("lists each blocker with its pc, disassembly, C line and reason, and answers no (exit 1)", () => {
    const r = run("offload-check", "programs/xdp_lpm_filter.o");
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/call 1/);
    expect(r.stdout).toContain("bpf_map_lookup_elem(&src_prefixes");
    expect(r.stdout).toContain("lpm_trie");
  });

  it("prints the report as JSON", () => {
    const r = run("offload-check", "programs/xdp_router.o", "--preset", "nfp-6000", "--json");
    const report = JSON.parse(r.stdout);
    expect(report.preset).toBe("nfp-6000");
    expect(report.blockers.map((b: { rule: string }) => b.rule)).toContain("helper");
  });

  it("takes the verifier's facts: a byte loop over a 456-byte stack buffer fits the card (its index is bounded only by the loop's compare)", () => {
    const r = run("offload-check", "test/offload/fixtures/xdp_big_stack.o", "--prog", "big_stack_loop", "--json");
    const report = JSON.parse(r.stdout);
    // The program's only blocker is its bpf_ktime_get_ns call (xdp_big_stack.c), none about the stack.
    expect(report.blockers.map((b: { rule: string }) => b.rule)).toEqual(["helper"]);
  });

  it("refuses a program the verifier rejects in one sentence naming the instruction, exit 2", () => {
    for (const command of [["offload-check"], ["partition", "--cores", "2"]]) {
      const r = run(...command, "test/sim/fixtures/unchecked.o");
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/the verifier rejects program unchecked at instruction \d+/);
    }
  });

  it("refuses a file that is not an object in one sentence, exit 2", () => {
    const dir = mkdtempSync(join(tmpdir(), "offload-check-"));
    writeFileSync(join(dir, "junk.o"), "not an ELF file");
    const r = run("offload-check", join(dir, "junk.o"));
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^offload-sim: .*junk\.o/);
  });
});

describe("offload-sim partition", () => {
  it("prints the plan as a table with the predicted bottleneck", () => {
    const r = run("partition", "programs/xdp_firewall.o", "--cores", "8", "--stages", "2");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/stage 0 \(pc 0\.\.\d+\)/);
    expect(r.stdout).toMatch(/stage 1 \(pc \d+\.\.\d+\)/);
    expect(r.stdout).toContain("bottleneck:");
  });

  it("prints JSON with every stage's cores and cycle estimate", () => {
    const plan = JSON.parse(run("partition", "programs/xdp_l4_lb.o", "--cores", "4", "--json").stdout);
    expect(plan.cores).toBe(4);
    for (const s of plan.stages) {
      expect(s.cores.length).toBeGreaterThan(0);
      expect(s.cyclesPerPacket).toBeGreaterThan(0);
    }
    expect(plan.source).toBeUndefined();
  });

  it("--explain shows each eBPF instruction beside its microcode", () => {
    const r = run("partition", "programs/xdp_trim.o", "--cores", "1", "--explain");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("r2 = *(u32 *)(r1 + 0)");
    expect(r.stdout).toMatch(/\| +csr_rd \w+, data\b/);
    expect(r.stdout).toMatch(/fwcall adjust_tail/);
  });

  it("refuses a stage count that is not a number", () => {
    const r = run("partition", "programs/xdp_pass.o", "--cores", "2", "--stages", "many");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--stages");
  });
});
