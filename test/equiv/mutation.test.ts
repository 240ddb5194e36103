// Proof that the suite has teeth: each mutant of the code generator
// (src/offload/mutants.ts) runs in a child process of its own with the
// suite's CI budget for generated programs, and every one must be killed.
// The unmutated compiler runs the same budget first: a kill only counts if
// the baseline agrees. The score is in docs/equivalence.md.
import { describe, expect, it } from "vitest";
import { runMutants, type MutationRun } from "../../src/equiv/mutation.ts";
import { MUTANT_NAMES } from "../../src/offload/mutants.ts";
import { spawnSync } from "node:child_process";

const SEED = 7;
const RUNS = 500;
const budget: MutationRun = { args: ["--generated", "--runs", String(RUNS), "--seed", String(SEED), "--no-shrink"], timeoutMs: 540_000 };

describe("mutation test", () => {
  // Also the generated programs' fixed-seed run (generated.test.ts runs the fresh seed).
  it("the unmutated compiler agrees on the budget the mutants are judged by (500 generated programs, seed 7)", { timeout: 600_000 }, () => {
    const run = spawnSync(process.execPath, ["bin/offload-sim.js", "equiv", ...budget.args], { encoding: "utf8", timeout: budget.timeoutMs, env: { ...process.env, OFFLOAD_SIM_MUTANT: "" } });
    expect(run.status, run.stdout.slice(0, 4000)).toBe(0);
  });

  it(`kills every mutant within ${RUNS} generated programs (seed ${SEED})`, { timeout: 1_200_000 }, async () => {
    const results = await runMutants(budget, 2);
    const table = results.map((r) => `${r.mutant}: ${r.verdict} after ${r.casesBefore ?? "?"} agreeing cases (${Math.round(r.elapsedMs / 1000)} s): ${r.detail}`).join("\n");
    console.log(`mutation score ${results.filter((r) => r.verdict === "killed").length}/${results.length}\n${table}`);
    expect(results.map((r) => [r.mutant, r.verdict]), table).toEqual(MUTANT_NAMES.map((m) => [m, "killed"]));
  });
});

describe("a deliberately broken build", () => {
  it("prints the readable counterexample, and its replay command finds the same difference", { timeout: 600_000 }, async () => {
    const args = ["equiv", "programs/xdp_firewall.o", "--runs", "300", "--seed", "1"];
    const env = { ...process.env, OFFLOAD_SIM_MUTANT: "load-missing-byte-swap" };
    const first = spawnSync(process.execPath, ["bin/offload-sim.js", ...args], { encoding: "utf8", env, timeout: 300_000 });
    expect(first.status, first.stderr).toBe(1);
    const out = first.stdout;
    expect(out).toMatch(/^DIFFERENCE: the NIC and the host interpreter disagree on xdp_firewall\.o: xdp_firewall\n/);
    const differs = out.slice(out.indexOf("what differs:\n"), out.indexOf("\n\nplan:"));
    expect(differs).toMatch(/^what differs:\n  (action|output packet|map blocklist)/);
    expect(out).toMatch(/\nplan: \d+ cores?, stage cut #\d+\n  the planner's own plan:|\nplan: \d+ cores?, stage cut #\d+\n  (the planner asked for|two stages split)/);
    expect(out).toMatch(/\npacket in \(\d+ bytes\):\n  Ethernet [0-9a-f:]+ > [0-9a-f:]+ \/ /);
    expect(out).toMatch(/\n  0000  ([0-9a-f]{2} ){7}[0-9a-f]{2}  /);
    expect(out).toContain("\ninitial maps (the program's own contents, then this case's edits):\n  blocklist (hash, ");
    expect(out).toContain("\noutcomes:\n  host interpreter: ");
    expect(out).toContain("\nfirst divergence (lock-step: eBPF pc on the host, microcode pc on the NIC):\n");
    const replay = /\nreplay:\n  offload-sim (equiv programs\/xdp_firewall\.o --replay [A-Za-z0-9_-]+)\n/.exec(out);
    expect(replay).not.toBeNull();
    const again = spawnSync(process.execPath, ["bin/offload-sim.js", ...replay![1].split(" ")], { encoding: "utf8", env, timeout: 300_000 });
    expect(again.status).toBe(1);
    expect(again.stdout.slice(again.stdout.indexOf("what differs:\n"), again.stdout.indexOf("\n\nplan:"))).toBe(differs);
  });

  it("is itself: with no mutant named, the same run agrees", { timeout: 300_000 }, () => {
    const run = spawnSync(process.execPath, ["bin/offload-sim.js", "equiv", "programs/xdp_firewall.o", "--runs", "300", "--seed", "1"], { encoding: "utf8", env: { ...process.env, OFFLOAD_SIM_MUTANT: "" }, timeout: 300_000 });
    expect(run.status, run.stdout).toBe(0);
  });
});

