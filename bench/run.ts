// `npm run bench`: the host benchmark. For every sample program (programs/)
// and each of its crafted packets: ns per packet in the kernel
// (BPF_PROG_TEST_RUN with a large repeat), in the compiled tier and in the
// reference interpreter, all measured in this one run and reported as
// ratios; the verifier's time per program; then the hardware model's own
// benchmark and the memory of a long whole run (child processes). Prints
// tables and writes bench/results/latest.json.
//
//   node bin/run-ts.js bench/run.ts [--quick] [--programs a,b] [--no-kernel] [--no-hw-model] [--json FILE]
import { mkdirSync, writeFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCorpus } from "./host-corpus.ts";
import { runHwModelBenchmark, timeVerifier, verifierHook, type HwModelOutcome } from "./host-hooks.ts";
import { KernelBench, kernelColumn } from "./host-kernel.ts";
import { describeMachine, machineInfo } from "./host-machine.ts";
import { cpuClock } from "./host-timing.ts";
import { formatSummary, formatTable, programFigures, summarize, type BenchReport, type ProgramFigures } from "./host-report.ts";
import { measureCase } from "./host-tiers.ts";

// V8 optimizes hot functions on a background thread, which a busy machine starves: the timed code could
// still be the unoptimized one after the warm-up. Optimizing on the benchmark's own thread makes every
// tier's figures those of its optimized code (the time spent optimizing falls in the warm-up).
setFlagsFromString("--no-concurrent-recompilation");

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};

const quick = flag("--quick");
const settings = { sampleMs: quick ? 10 : 25, rounds: quick ? 3 : 5, verifierSampleMs: quick ? 50 : 200 };
const jsonFile = option("--json") ?? fileURLToPath(new URL("./results/latest.json", import.meta.url));
const only = option("--programs")?.split(",");

const machine = machineInfo();
console.log(`offload-sim host benchmark (${quick ? "quick" : "full"})\n${describeMachine(machine)}\nclock: ${cpuClock}\n`);

const corpus = loadCorpus().filter((p) => only === undefined || only.includes(p.label));
const kernel = flag("--no-kernel") ? ({ available: false, reason: "disabled with --no-kernel" } as const) : kernelColumn();
if (!kernel.available) console.log(`kernel column skipped: ${kernel.reason}\n`);
const verifier = await verifierHook();
if (!verifier.available) console.log(`verifier column skipped: ${verifier.reason}\n`);

const kernelBench = kernel.available ? new KernelBench() : undefined;
const programs: ProgramFigures[] = [];
try {
  for (const program of corpus) {
    process.stderr.write(`  ${program.label}: ${program.cases.length} packets\n`);
    const verifierFigures = verifier.available ? timeVerifier(verifier.verify, program.insns, program.object.maps, settings.verifierSampleMs) : undefined;
    const cases = program.cases.map((c) => {
      const loaded = kernelBench?.load(program, c);
      try {
        return measureCase(program, c, loaded, settings, verifierFigures?.verdict);
      } finally {
        loaded?.release();
      }
    });
    programs.push(programFigures(program.label, program.insns.length, cases, verifierFigures));
  }
} finally {
  kernelBench?.close();
}

const summary = summarize(programs);
console.log(formatTable(programs));
console.log("");
console.log(formatSummary(summary));

const notes = [
  "every figure is CPU time of the benchmark thread per packet (the kernel's: the BPF_PROG_TEST_RUN syscall divided by its repeat; '(own)' is the kernel's own duration), mean over the program's crafted packets, median of the rounds",
  "kernel, compiled: each packet timed as a repeated run on one context (packet and maps carried over from run to run)",
  "compiled: with the verifier's facts when src/verifier is there and accepts the program (proved packet accesses unchecked), else with every check",
  "reference: run() per packet on the same buffer and maps, minus 'setup' (createMachine, which run() does first); call columns: runXdp() per packet, fresh buffer and machine",
  "cases that name an environment (xdp_router) run in the kernel inside a fresh network namespace built from expectations.json, and on the host tiers against the same routes",
];

console.log("\nhardware model benchmark:");
const hwModel: HwModelOutcome = flag("--no-hw-model") ? { ran: false, reason: "disabled with --no-hw-model" } : runHwModelBenchmark(quick);
if (!hwModel.ran) console.log(`  not run: ${hwModel.reason}`);

const report: BenchReport = {
  machine,
  settings: { ...settings, quick, programs: only ?? "all", clock: cpuClock },
  kernel: kernel.available ? { available: true } : { available: false, reason: kernel.reason },
  verifier: verifier.available ? { available: true } : { available: false, reason: verifier.reason },
  programs,
  summary,
  hwModel,
  notes,
};
mkdirSync(dirname(jsonFile), { recursive: true });
writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nwrote ${jsonFile}`);
