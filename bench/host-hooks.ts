// The parts of the benchmark that belong to other engineers and may not be
// there yet: the verifier's time per program (when src/verifier exports
// verify), and the hardware model's benchmark with a whole long run's memory,
// run as child processes. Each says plainly why it was skipped.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
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
  | { readonly ran: true; readonly simulator: unknown; readonly wholeRun: unknown }
  | { readonly ran: false; readonly reason: string };

const root = fileURLToPath(new URL("../", import.meta.url));
const runTs = join(root, "bin/run-ts.js");

// The hardware model's benchmark (bench/hw-model.ts: simulated packets per second by cores and run length) and
// the memory of a whole long run (bench/run-memory.ts), each in a process of its own so that neither's heap nor
// compiled code counts in the other's figures. Their tables go straight to our stdout.
export function runHwModelBenchmark(quick: boolean): HwModelOutcome {
  const dir = mkdtempSync(join(tmpdir(), "offload-sim-bench-"));
  try {
    const json = join(dir, "hw-model.json");
    const hw = spawnSync(process.execPath, [runTs, "bench/hw-model.ts", "--json", json, ...(quick ? ["--quick"] : [])], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
    if (hw.status !== 0) return { ran: false, reason: `bench/hw-model.ts exited with status ${hw.status ?? hw.signal}` };
    const packets = quick ? 1_000_000 : 10_000_000;
    console.log(`\nA whole run of ${packets.toLocaleString("en")} synthetic packets (xdp_mac_swap, 8 cores, checked against the host), in its own process:`);
    const mem = spawnSync(process.execPath, [runTs, "bench/run-memory.ts", String(packets)], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 });
    if (mem.status !== 0) return { ran: false, reason: `bench/run-memory.ts exited with status ${mem.status ?? mem.signal}` };
    const wholeRun = JSON.parse(mem.stdout.trim().split("\n").pop() ?? "{}") as { peakRssMiB: number; cpuSeconds: number; equivalence: string };
    console.log(`  peak RSS ${wholeRun.peakRssMiB.toFixed(0)} MiB, ${wholeRun.cpuSeconds.toFixed(1)} s CPU (${((wholeRun.cpuSeconds * 1e6) / packets).toFixed(1)} µs per packet), ${wholeRun.equivalence}`);
    return { ran: true, simulator: JSON.parse(readFileSync(json, "utf8")) as unknown, wholeRun };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
