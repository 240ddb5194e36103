// The mutation harness: proof that the suite has teeth. Each mutant of the
// code generator (src/offload/mutants.ts) is switched on in a child process
// of its own (OFFLOAD_SIM_MUTANT, so no test in this process ever runs a
// mutated compiler) that runs `offload-sim equiv` with the suite's budget;
// the mutant is killed when that run finds a difference.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { MUTANT_ENV, MUTANT_NAMES, type MutantName } from "../offload/mutants.ts";

export interface MutationRun {
  // Arguments after `offload-sim equiv` (the budget: --generated --runs 500 --seed 7, or an object).
  readonly args: readonly string[];
  // Give up on a child after this long (a mutant that makes the compiler hang is killed by the compile guard first).
  readonly timeoutMs: number;
}

export interface MutantResult {
  readonly mutant: MutantName;
  readonly verdict: "killed" | "survived" | "error";
  // The first difference the suite printed (killed), or what went wrong (error).
  readonly detail: string;
  // Cases run before the difference, as the suite reported them.
  readonly casesBefore?: number;
  readonly replay?: string;
  readonly elapsedMs: number;
}

const CLI = fileURLToPath(new URL("../../bin/offload-sim.js", import.meta.url));

export function runMutant(mutant: MutantName, run: MutationRun): Promise<MutantResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, "equiv", ...run.args, "--json"], { env: { ...process.env, [MUTANT_ENV]: mutant }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), run.timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      const elapsedMs = Date.now() - started;
      if (code === 0) return resolve({ mutant, verdict: "survived", detail: "every case agreed", elapsedMs });
      if (code !== 1) return resolve({ mutant, verdict: "error", detail: `exit ${code}: ${stderr.trim().split("\n").slice(-3).join(" / ")}`, elapsedMs });
      try {
        const json = JSON.parse(stdout) as { counterexample: { differences: { text: string }[]; replay: string; casesBefore: number } | null };
        const cx = json.counterexample;
        resolve({ mutant, verdict: "killed", detail: cx?.differences[0]?.text ?? "a difference", ...(cx ? { casesBefore: cx.casesBefore, replay: cx.replay } : {}), elapsedMs });
      } catch {
        resolve({ mutant, verdict: "error", detail: `exit 1 without a JSON result: ${stderr.trim().slice(-300)}`, elapsedMs });
      }
    });
  });
}

// Every mutant, `parallel` children at a time.
export async function runMutants(run: MutationRun, parallel: number, mutants: readonly MutantName[] = MUTANT_NAMES): Promise<MutantResult[]> {
  const results: MutantResult[] = new Array(mutants.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < mutants.length) {
      const i = next++;
      results[i] = await runMutant(mutants[i], run);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, lane));
  return results;
}

export function mutationScore(results: readonly MutantResult[]): { readonly killed: number; readonly total: number } {
  return { killed: results.filter((r) => r.verdict === "killed").length, total: results.length };
}
