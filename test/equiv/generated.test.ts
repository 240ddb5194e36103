// Generated XDP programs (src/equiv/program-arbitrary.ts): every one is
// accepted by our verifier and by the kernel's, and at least 500 per run go
// through verify -> plan -> codegen -> NIC against the host interpreter on a
// fresh seed printed at the start (EQUIV_SEED=N replays it). The fixed-seed
// run (500 programs, seed 7) is the mutation test's baseline (mutation.test.ts).
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { disassemble } from "../../src/ebpf/index.ts";
import { formatEquivReport, freshSeed, OffloadBackend, programArbitrary, runEquivalence } from "../../src/equiv/index.ts";
import { withKernel } from "../../src/kernel/index.ts";
import { verify } from "../../src/verifier/index.ts";
import { kernelAvailable } from "../kernel/kernel-gate.ts";

const FRESH_SEED = process.env.EQUIV_SEED === undefined ? freshSeed() : Number(process.env.EQUIV_SEED);
// The CI budget: 500 generated programs on the fresh seed.
const FRESH_RUNS = Number(process.env.EQUIV_GENERATED_RUNS ?? 500);
const SUITE_TIMEOUT_MS = 600_000;

console.log(`equiv generated programs: fresh seed ${FRESH_SEED} (replay: EQUIV_SEED=${FRESH_SEED} npx vitest run test/equiv/generated.test.ts)`);

const backend = OffloadBackend.forPreset("nfp-4000", { compileTimeoutMs: 30_000 });
afterAll(() => backend.close());

describe("generated programs", () => {
  it("are accepted by the verifier", () => {
    fc.assert(
      fc.property(programArbitrary(), (p) => {
        const v = verify(p.insns, p.mapDefs, { license: "GPL", logLevel: 0 });
        expect(v.accepted, `${v.error?.pc}: ${v.error?.message}\n${disassemble(p.insns)}`).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it.skipIf(!kernelAvailable)("are accepted by the kernel's verifier", async () => {
    const programs = fc.sample(programArbitrary(), { numRuns: 100, seed: FRESH_SEED });
    await withKernel((k) => {
      for (const p of programs) {
        const maps = p.mapDefs.map((def) => k.createMap(def));
        const verdict = k.tryLoadProgram({ program: p.insns, mapFds: maps.map((m) => m.fd), name: "generated", license: "GPL", logLevel: 1 });
        expect(verdict.accepted, verdict.accepted ? "" : `${verdict.error.message}\n${disassemble(p.insns)}`).toBe(true);
        if (verdict.accepted) k.release(verdict.program);
        for (const m of maps) k.release(m);
      }
    });
  });

  it(`agree on the NIC and the host for ${FRESH_RUNS} programs (fresh seed)`, { timeout: SUITE_TIMEOUT_MS }, async () => {
    const report = await runEquivalence({ generated: true, runs: FRESH_RUNS, seed: FRESH_SEED, cores: [1, 8, 16], backend, shrinkBudgetMs: 30_000 });
    expect(report.result.agreed, formatEquivReport(report)).toBe(true);
    expect(report.result.casesRun).toBe(FRESH_RUNS);
  });
});
