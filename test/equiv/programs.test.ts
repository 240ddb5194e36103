// Every program of programs/ through the suite: the NIC (src/offload on
// hw-model, plans at 1, 8 and 16 cores) against the host interpreter, once on
// a fresh seed printed at the start (EQUIV_SEED=N replays it) and once on a
// fixed seed, and, where bpf() works, against the kernel too. A difference
// fails the test with the readable counterexample and its replay command.
import { readdirSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.ts";
import { readFileSync } from "node:fs";
import { formatEquivReport, freshSeed, OffloadBackend, runEquivalence, type EquivReport } from "../../src/equiv/index.ts";
import { readEnvironmentSpec } from "../../src/equiv/environment.ts";
import { kernelAvailable } from "../kernel/kernel-gate.ts";

const FIXED_SEED = 20_261_125;
const FRESH_SEED = process.env.EQUIV_SEED === undefined ? freshSeed() : Number(process.env.EQUIV_SEED);
// Cases per program and seed in CI (`offload-sim equiv` runs 1000 by default).
const RUNS = 40;
const KERNEL_RUNS = 15;
const CORES = [1, 8, 16];
// The network the router's expectations were worked out in.
const ENVIRONMENTS: Readonly<Record<string, string>> = { xdp_router: "programs/expectations.json#router-netns" };

console.log(`equiv programs: fresh seed ${FRESH_SEED} (replay: EQUIV_SEED=${FRESH_SEED} npx vitest run test/equiv/programs.test.ts)`);

const subjects = readdirSync("programs")
  .filter((f) => f.endsWith(".o"))
  .sort()
  .flatMap((f) => {
    const object = loadObject(new Uint8Array(readFileSync(`programs/${f}`)), f);
    return object.programs.filter((p) => p.type === "xdp").map((p) => ({ file: `programs/${f}`, program: p.name }));
  });

const backend = OffloadBackend.forPreset("nfp-4000", { compileTimeoutMs: 30_000 });
afterAll(() => backend.close());

async function check(file: string, program: string, seed: number, runs: number, kernel: boolean): Promise<EquivReport> {
  const env = ENVIRONMENTS[program];
  return runEquivalence({ objectFile: file, program, runs, seed, cores: CORES, kernel, backend, ...(env ? { environment: readEnvironmentSpec(env), environmentSpec: env } : {}) });
}

describe("every sample program: NIC vs host interpreter", () => {
  it("finds every XDP program of programs/", () => {
    // 15 objects, one of them (xdp_tailcall.o) with two programs: programs/README.md.
    expect(subjects.length).toBe(17);
  });

  for (const { file, program } of subjects) {
    it(`${program} agrees (fresh seed, fixed seed)`, async () => {
      for (const seed of [FRESH_SEED, FIXED_SEED]) {
        const report = await check(file, program, seed, RUNS, false);
        expect(report.result.agreed, formatEquivReport(report)).toBe(true);
        expect(report.result.casesRun).toBe(RUNS);
      }
    });
  }
});

describe.skipIf(!kernelAvailable)("every sample program: NIC vs host interpreter vs kernel", () => {
  for (const { file, program } of subjects) {
    it(`${program} agrees with the kernel too`, async () => {
      const report = await check(file, program, FRESH_SEED, KERNEL_RUNS, true);
      expect(report.result.agreed, formatEquivReport(report)).toBe(true);
    });
  }
});
