// `node [--expose-gc] bin/run-ts.js bench/verifier.ts [--ms N] [--repeat N] [--base DIR] [--no-kernel] [OBJ.o ...]`:
// the verifier's speed on every sample program (programs/*.o, then any objects named): instructions
// processed per CPU second, states kept, and beside them the kernel verifier's own "processed N insns"
// for the same program, loaded as libbpf loads its object (from its log; verified_insns from
// BPF_OBJ_GET_INFO agrees).
// CPU time is process.cpuUsage() (user + system) of one verify() call, the minimum over at least
// --repeat calls and --ms milliseconds (the machine is shared: the minimum is the least disturbed).
// --base DIR times another checkout's verifier (e.g. `git worktree add /tmp/verifier-base HEAD`, with
// node_modules symlinked) in the same process, call for call alternating with this one, and adds its
// columns and the speed-up; both are given the same loaded object.
// `--compare [DIR...]` (with --base) times nothing: every .o under the directories (default programs/
// and test/fixtures/) is verified by both trees and the verdict, error, processed instructions, state
// counts and facts must be identical; it prints one line per program and a summary, exit 1 on a difference.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type BpfObject, type BpfProgram, loadObject } from "../src/elf/index.ts";
import { kernelOracleAvailability, withKernel } from "../src/kernel/index.ts";
import { objectKernelVerdict } from "../src/verifier/kernel-verdict.ts";
import { verify, verifyOptionsFor, type VerifierResult, type VerifyOptions } from "../src/verifier/index.ts";

type VerifyFn = typeof verify;

const args = process.argv.slice(2);
const valueOf = (flag: string): string | undefined => {
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
};
const flagsWithValue = new Set(["--ms", "--repeat", "--base"]);
const positional = args.filter((a, i) => !a.startsWith("--") && !flagsWithValue.has(args[i - 1] ?? ""));
// Time spent re-verifying each program, after one warm-up run, and the fewest timed runs.
const sampleMs = Number(valueOf("--ms") ?? 500);
const minRuns = Number(valueOf("--repeat") ?? 3);
const baseDir = valueOf("--base");
const root = fileURLToPath(new URL("../", import.meta.url));

const baseVerify: VerifyFn | undefined = baseDir === undefined ? undefined : ((await import(pathToFileURL(resolve(baseDir, "src/verifier/index.ts")).href)) as { verify: VerifyFn }).verify;

interface Sample {
  readonly file: string;
  readonly object: BpfObject;
  readonly program: BpfProgram;
}

function samplesOf(file: string): Sample[] {
  const object = loadObject(new Uint8Array(readFileSync(file)), file);
  return object.programs.filter((p) => p.type === "xdp").map((program) => ({ file: relative(root, file), object, program }));
}

function objectsUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? objectsUnder(path) : name.endsWith(".o") ? [path] : [];
    });
}

const optionsOf = (s: Sample): VerifyOptions => ({ ...verifyOptionsFor(s.object, s.program), logLevel: 0, collectFacts: true });

if (args.includes("--compare")) {
  if (baseVerify === undefined) throw new Error("--compare needs --base DIR");
  const dirs = positional.length > 0 ? positional : [join(root, "programs"), join(root, "test/fixtures")];
  process.exit(compare(baseVerify, dirs.flatMap((d) => objectsUnder(resolve(d)))));
}

const programsDir = join(root, "programs");
const samples = [...readdirSync(programsDir).filter((f) => f.endsWith(".o")).sort().map((f) => join(programsDir, f)), ...positional.map((p) => resolve(p))].flatMap(samplesOf);

const kernelProcessed = new Map<Sample, number | undefined>();
const availability = args.includes("--no-kernel") ? { available: false, reason: "--no-kernel" } : kernelOracleAvailability();
if (availability.available) {
  await withKernel((k) => {
    for (const s of samples) kernelProcessed.set(s, objectKernelVerdict(k, s.object, s.program.name).processedInsns);
  });
} else {
  console.log(`kernel column skipped: ${availability.reason}`);
}

// CPU milliseconds of one call (after a full collection when node runs with --expose-gc, so that one call's
// garbage is not collected on the next one's time; on this machine that made the small programs' figures
// noisier, not steadier, so docs/verifier.md reports runs without it).
const collect = (globalThis as { gc?: () => void }).gc;
function cpuMs(run: () => void): number {
  collect?.();
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

const insnsPerSecond = (processed: number, ms: number): string => Math.round((processed / ms) * 1000).toLocaleString("en-US");

const header = ["program", "file", "slots", "processed", "kernel processed", "states", "peak", "cpu ms", "insns/s"];
const rows: string[][] = [baseVerify === undefined ? header : [...header, "base cpu ms", "base insns/s", "speed-up"]];
for (const s of samples) {
  const options = optionsOf(s);
  const call = (fn: VerifyFn) => () => fn(s.program.insns, s.object.maps, options);
  let first: VerifierResult;
  try {
    first = verify(s.program.insns, s.object.maps, options);
  } catch (error) {
    // A construct this verifier does not model: no verdict to time.
    rows.push([s.program.name, s.file, String(s.program.insns.length), `no verdict: ${(error as Error).constructor.name}`, ...header.slice(4).map(() => "")]);
    continue;
  }
  baseVerify?.(s.program.insns, s.object.maps, options);
  let best = Infinity;
  let baseBest = Infinity;
  const start = performance.now();
  for (let runs = 0; runs < minRuns || performance.now() - start < sampleMs; runs++) {
    if (baseVerify !== undefined) baseBest = Math.min(baseBest, cpuMs(call(baseVerify)));
    best = Math.min(best, cpuMs(call(verify)));
  }
  const row = [
    s.program.name,
    s.file,
    String(s.program.insns.length),
    String(first.processedInsns),
    String(kernelProcessed.get(s) ?? "-"),
    String(first.totalStates),
    String(first.peakStates),
    best.toFixed(2),
    insnsPerSecond(first.processedInsns, best),
  ];
  rows.push(baseVerify === undefined ? row : [...row, baseBest.toFixed(2), insnsPerSecond(first.processedInsns, baseBest), `${(baseBest / best).toFixed(2)}x`]);
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
for (const r of rows) console.log(r.map((cell, c) => (c <= 1 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ").trimEnd());

// The parts of a result two verifiers must agree on, as text (bigints included).
function resultText(r: VerifierResult): string {
  const { log: _log, ...rest } = r;
  return JSON.stringify(rest, (_key, value: unknown) => (typeof value === "bigint" ? `${value}n` : value));
}

function outcomeOf(fn: VerifyFn, s: Sample): { summary: string; text: string } {
  try {
    const r = fn(s.program.insns, s.object.maps, optionsOf(s));
    const verdict = r.accepted ? "accepted" : `rejected at ${r.error?.pc}: ${r.error?.message}`;
    return { summary: `${verdict}; processed ${r.processedInsns}, states ${r.totalStates} (peak ${r.peakStates}, at most ${r.maxStatesPerInsn} per insn)`, text: resultText(r) };
  } catch (error) {
    const text = `throws ${(error as Error).constructor.name}: ${(error as Error).message}`;
    return { summary: text, text };
  }
}

function compare(base: VerifyFn, files: readonly string[]): number {
  let same = 0;
  let differ = 0;
  let unloadable = 0;
  for (const file of files) {
    let samplesHere: Sample[];
    try {
      samplesHere = samplesOf(file);
    } catch (error) {
      unloadable++;
      console.log(`${relative(root, file)}: not loadable (${(error as Error).message})`);
      continue;
    }
    for (const s of samplesHere) {
      const before = outcomeOf(base, s);
      const after = outcomeOf(verify, s);
      const equal = before.text === after.text;
      if (equal) same++;
      else differ++;
      console.log(`${equal ? "same  " : "DIFFER"} ${s.file} ${s.program.name}: ${after.summary}${equal ? "" : ` (base: ${before.summary})`}`);
    }
  }
  console.log(`${files.length} objects (${unloadable} not loadable), ${same + differ} XDP programs: ${same} identical (verdict, error, processed, states, facts), ${differ} differ`);
  return differ === 0 ? 0 : 1;
}
