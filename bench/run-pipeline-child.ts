// One timed whole run for bench/run-pipeline.ts, in a process of its own: the
// `offload-sim run` library call of TREE (loading, verifying, planning, the
// traffic, the timing model and the host check, the report) on one sample.
// Prints one JSON line: CPU and wall time of that call, packets, equivalence.
//   node bin/run-ts.js bench/run-pipeline-child.ts TREE OBJECT PACKETS SPEC [MAP=FILE...]
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [tree, object, packetText, spec, ...mapArgs] = process.argv.slice(2);
if (tree === undefined || object === undefined || packetText === undefined || spec === undefined) {
  process.stderr.write("usage: node bin/run-ts.js bench/run-pipeline-child.ts TREE OBJECT PACKETS SPEC [MAP=FILE...]\n");
  process.exit(2);
}
const { runOffloadSim } = (await import(pathToFileURL(resolve(tree, "src/sim/run.ts")).href)) as typeof import("../src/sim/run.ts");
const maps = mapArgs.map((m) => ({ map: m.slice(0, m.indexOf("=")), file: resolve(tree, m.slice(m.indexOf("=") + 1)) }));
const packets = Number(packetText);
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
const result = runOffloadSim({ objectFile: resolve(tree, object), cores: 8, traffic: { kind: "generator", spec }, packetLimit: packets, maps, check: true });
const cpu = process.cpuUsage(cpu0);
const e = result.equivalence;
console.log(
  JSON.stringify({
    packets,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    wallSeconds: (performance.now() - wall0) / 1000,
    equivalence: e.status === "skipped" ? "skipped" : `${e.status}: ${e.packetsIdentical}/${e.packetsCompared}`,
  }),
);
