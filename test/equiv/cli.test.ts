// `offload-sim equiv` on bad input: one sentence on stderr and exit 2, never a stack trace;
// on agreement: one line and exit 0, JSON with --json.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const cli = (...args: string[]) => spawnSync(process.execPath, ["bin/offload-sim.js", "equiv", ...args], { encoding: "utf8", timeout: 120_000 });

describe("offload-sim equiv", () => {
  it.each([
    [["missing.o"], /^offload-sim: cannot read missing\.o: no such file or directory \(ENOENT\)\.\n$/],
    [["programs/xdp_pass.o", "--cores", "0"], /^offload-sim: --cores takes .*'0' is not one\.\n$/],
    [["programs/xdp_pass.o", "--cores", "999"], /^offload-sim: --cores takes whole numbers from 1 to \d+ .* not 999\.\n$/],
    [["programs/xdp_pass.o", "--replay", "zzz"], /^offload-sim: --replay: 'zzz' is not a replay token offload-sim printed \(.*\)\.\n$/],
    [[], /^offload-sim: equiv needs an object file \(prog\.o\), or --generated for generated programs\.\n$/],
    [["programs/xdp_tailcall.o"], /^offload-sim: programs\/xdp_tailcall\.o holds 2 programs \(.*\); name one with --prog\.\n$/],
    [["programs/xdp_pass.o", "--runs", "0"], /^offload-sim: --runs takes a whole number of cases from 1 up, not 0\.\n$/],
    [["test/fixtures/realworld2/multi_stage.o", "--prog", "xdp_on_cpu", "--kernel"], /^offload-sim: .*program xdp_on_cpu is loaded for a cpumap entry \(section xdp\/cpumap\), and the kernel's BPF_PROG_TEST_RUN does not run such programs, so there is nothing to compare with\.\n$/],
  ])("refuses %j in one sentence with exit 2", (args, message) => {
    const run = cli(...args);
    expect(run.status).toBe(2);
    expect(run.stderr.replace(/^offload-sim equiv: seed -?\d+\n/, "")).toMatch(message);
  });

  it("prints one line and exits 0 when every case agrees, and the same as JSON", () => {
    const text = cli("programs/xdp_drop.o", "--runs", "20", "--seed", "3", "--cores", "1,2");
    expect(text.status).toBe(0);
    expect(text.stderr).toBe("offload-sim equiv: seed 3\n");
    expect(text.stdout).toBe("xdp_drop.o: xdp_drop: NIC (nfp-4000) vs host interpreter agree on all 20 cases (seed 3, cores 1,2).\n");
    const json = JSON.parse(cli("programs/xdp_drop.o", "--runs", "20", "--seed", "3", "--cores", "1,2", "--json").stdout);
    expect(json).toMatchObject({ subject: "xdp_drop.o: xdp_drop", seed: 3, casesRun: 20, agreed: true, counterexample: null, cores: [1, 2] });
  });
});
