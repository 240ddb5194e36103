// The compiled tier alone, quickly: ns per packet of CompiledSession.repeat
// for every crafted case of the chosen sample programs, with the verifier's
// facts as `npm run bench` uses them (no kernel, no reference), for
// profiling and for trying a change
// before a full `npm run bench`. Thread CPU time; the median of the rounds, or with --min the
// fastest round (on a busy machine, V8's background compiler and other load slow some rounds down).
//
//   node bin/run-ts.js bench/host-compiled.ts [--programs a,b] [--sample-ms 30] [--rounds 5] [--min]
//   node --cpu-prof --import tsx bench/host-compiled.ts --programs xdp_firewall
import { CompiledSession } from "../src/interp/compile-session.ts";
import { verify } from "../src/verifier/index.ts";
import { createXdpBuffer } from "../src/xdp/buffer.ts";
import { corpusMaps, environmentRoutes, loadCorpus } from "./host-corpus.ts";
import { median, threadCpuNs } from "./host-timing.ts";

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const only = option("--programs")?.split(",");
const sampleNs = Number(option("--sample-ms") ?? 30) * 1e6;
const rounds = Number(option("--rounds") ?? 5);
const summary = args.includes("--min") ? (samples: number[]): number => Math.min(...samples) : median;

const perProgram: number[] = [];
for (const program of loadCorpus().filter((p) => only === undefined || only.includes(p.label))) {
  const facts = verify(program.insns, program.object.maps);
  const caseNs = program.cases.map((c) => {
    const session = new CompiledSession(program.insns, {
      maps: corpusMaps(program, c.mapJson),
      programs: program.programs,
      ...(c.environment === undefined ? {} : { routes: environmentRoutes(c.environment) }),
      input: { kind: "xdp", buffer: createXdpBuffer(c.packet) },
    }, { facts });
    // Warm up, then fix the iteration count so one sample lasts about sampleNs.
    let iterations = 1;
    for (;;) {
      const started = threadCpuNs();
      session.repeat(iterations);
      if (threadCpuNs() - started >= sampleNs / 4) break;
      iterations *= 2;
    }
    const samples: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const started = threadCpuNs();
      session.repeat(iterations);
      samples.push((threadCpuNs() - started) / iterations);
    }
    return summary(samples);
  });
  const meanNs = caseNs.reduce((a, b) => a + b, 0) / caseNs.length;
  perProgram.push(meanNs);
  console.log(`${program.label.padEnd(28)} ${meanNs.toFixed(0).padStart(7)} ns   (${caseNs.map((ns) => ns.toFixed(0)).join(" ")})`);
}
console.log(`${"median".padEnd(28)} ${median(perProgram).toFixed(0).padStart(7)} ns`);
