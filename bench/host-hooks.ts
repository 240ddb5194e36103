// The parts of the benchmark that belong to other engineers and may not be
// there yet: the verifier's time per program (when src/verifier exports
// verify) and the hardware model's own benchmark (bench/hw-model*.ts, when
// it exports a function). Each says plainly why it was skipped.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Program } from "../src/ebpf/instruction.ts";
import type { MapDef } from "../src/maps/types.ts";
import type { VerifierResult } from "../src/verifier/index.ts";
import { timeIterations } from "./host-timing.ts";

type Verify = (program: Program, maps: readonly MapDef[]) => VerifierResult;

export type VerifierHook = { readonly available: true; readonly verify: Verify } | { readonly available: false; readonly reason: string };

export async function verifierHook(): Promise<VerifierHook> {
  try {
    const module = (await import("../src/verifier/index.ts")) as Record<string, unknown>;
    if (typeof module.verify !== "function") return { available: false, reason: "src/verifier/index.ts exports no verify()" };
    return { available: true, verify: module.verify as Verify };
  } catch (error) {
    return { available: false, reason: `src/verifier could not be loaded (${error instanceof Error ? error.message : String(error)})` };
  }
}

export interface VerifierFigures {
  readonly ms: number;
  readonly accepted: boolean;
  // The verdict itself, whose facts the compiled tier may use.
  readonly verdict: VerifierResult;
}

export function timeVerifier(verify: Verify, program: Program, maps: readonly MapDef[], sampleMs: number): VerifierFigures {
  const verdict = verify(program, maps);
  const ns = timeIterations(
    (n) => {
      for (let i = 0; i < n; i++) verify(program, maps);
    },
    { sampleMs, samples: 3 },
  );
  return { ms: ns / 1e6, accepted: verdict.accepted, verdict };
}

export type HwModelOutcome =
  | { readonly ran: true; readonly file: string; readonly exported: string; readonly result: unknown }
  | { readonly ran: false; readonly reason: string };

const benchDir = fileURLToPath(new URL("./", import.meta.url));
// `export function name`, `export async function name`, `export const name = (` or `= async (`.
const EXPORTED_FUNCTION = /^export\s+(?:async\s+)?function\s+(\w+)|^export\s+const\s+(\w+)\s*=\s*(?:async\s*)?(?:\([^)]*\)|\w+)\s*=>/m;

// The hardware model's benchmark: the first bench/hw-model*.ts that exports a function is imported
// and that function called with {quick}. A file that only runs as a script is not imported (importing
// it would run it with its own output); the section says so and how to run it.
export async function runHwModelBenchmark(quick: boolean): Promise<HwModelOutcome> {
  const files = readdirSync(benchDir).filter((f) => /^hw-model.*\.ts$/.test(f)).sort();
  if (files.length === 0) return { ran: false, reason: "no bench/hw-model*.ts was found" };
  for (const file of files) {
    const match = EXPORTED_FUNCTION.exec(readFileSync(`${benchDir}${file}`, "utf8"));
    const exported = match?.[1] ?? match?.[2];
    if (exported === undefined) continue;
    const module = (await import(pathToFileURL(`${benchDir}${file}`).href)) as Record<string, unknown>;
    const fn = module[exported];
    if (typeof fn !== "function") continue;
    const result: unknown = await (fn as (options: { quick: boolean }) => unknown)({ quick });
    return { ran: true, file: `bench/${file}`, exported, result };
  }
  const names = files.map((f) => `bench/${f}`).join(", ");
  return { ran: false, reason: `${names} exports no function to call (a standalone script: node bin/run-ts.js ${`bench/${files[0]}`} [--quick])` };
}
