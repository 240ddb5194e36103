// `node bin/run-ts.js bench/verifier.ts [--ms N]`: the verifier's speed on
// every sample program: instructions processed per second, states kept, and
// beside them the kernel verifier's own "processed N insns" for the same
// program (from its log; verified_insns from BPF_OBJ_GET_INFO agrees).
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadObject } from "../src/elf/index.ts";
import { kernelOracleAvailability, withKernel } from "../src/kernel/index.ts";
import { kernelVerdict } from "../src/verifier/kernel-verdict.ts";
import { verify } from "../src/verifier/index.ts";

const args = process.argv.slice(2);
const at = args.indexOf("--ms");
// Time spent re-verifying each program, after one warm-up run.
const sampleMs = at >= 0 ? Number(args[at + 1]) : 500;

const programsDir = fileURLToPath(new URL("../programs/", import.meta.url));
const samples = readdirSync(programsDir)
  .filter((f) => f.endsWith(".o"))
  .sort()
  .flatMap((file) => {
    const object = loadObject(new Uint8Array(readFileSync(join(programsDir, file))), file);
    return object.programs.map((program) => ({ object, program }));
  });

const kernelProcessed = new Map<string, number | undefined>();
const availability = kernelOracleAvailability();
if (availability.available) {
  await withKernel((k) => {
    for (const { object, program } of samples) {
      const verdict = kernelVerdict(k, program.insns, object.maps, { license: object.license, functions: program.functions });
      kernelProcessed.set(program.name, verdict.processedInsns);
    }
  });
} else {
  console.log(`kernel column skipped: ${availability.reason}`);
}

const rows: string[][] = [["program", "slots", "processed", "kernel processed", "states", "peak", "ms/run", "insns/s"]];
for (const { object, program } of samples) {
  const options = { license: object.license, logLevel: 0, collectFacts: true } as const;
  const first = verify(program.insns, object.maps, options);
  let runs = 0;
  const start = performance.now();
  while (performance.now() - start < sampleMs || runs === 0) {
    verify(program.insns, object.maps, options);
    runs++;
  }
  const msPerRun = (performance.now() - start) / runs;
  rows.push([
    program.name,
    String(program.insns.length),
    String(first.processedInsns),
    String(kernelProcessed.get(program.name) ?? "-"),
    String(first.totalStates),
    String(first.peakStates),
    msPerRun.toFixed(2),
    Math.round((first.processedInsns / msPerRun) * 1000).toLocaleString("en-US"),
  ]);
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  "));
