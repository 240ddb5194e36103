// µs of CPU per packet of a whole `offload-sim run`, two trees side by side
// in one benchmark (e.g. a worktree of an older commit and this one): each
// sample runs in a fresh process per tree (bench/run-pipeline-child.ts),
// rounds alternate between the trees, and the minimum over the rounds is
// kept (the machine is shared: CPU time, not wall time, and the minimum is
// the least disturbed). With --split, one more profiled run per sample and
// tree (node --cpu-prof) says where the time went (bench/profile-split.ts).
//   node bin/run-ts.js bench/run-pipeline.ts [BASE_TREE] [--packets N] [--rounds R] [--split] [--samples 0,2]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { profileSplit } from "./profile-split.ts";

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const flagged = new Set(["--packets", "--rounds", "--samples"]);
const positional = args.filter((a, i) => !a.startsWith("--") && !(i > 0 && flagged.has(args[i - 1])));
const here = resolve(new URL("..", import.meta.url).pathname);
const trees = positional[0] === undefined ? [["this tree", here]] : [["base", resolve(positional[0])], ["new", here]];
const packets = Number(option("--packets") ?? 200_000);
const rounds = Number(option("--rounds") ?? 3);
const split = args.includes("--split");
// Which of SAMPLES to run (their indexes), all by default.
const chosen = option("--samples")?.split(",").map(Number);

// The samples: a trivial rewrite, a map-heavy counter, a load balancer that parses L3/L4; default and mixed traffic.
const MIXED = "udp tcp flows=10000 size=64..1500";
const SAMPLES: readonly { readonly object: string; readonly spec: string; readonly maps: readonly string[] }[] = [
  { object: "programs/xdp_mac_swap.o", spec: "udp", maps: [] },
  { object: "programs/xdp_mac_swap.o", spec: "udp flows=10000 size=64..1500", maps: [] },
  { object: "programs/xdp_flow_count.o", spec: MIXED, maps: ["flows=programs/maps/xdp_flow_count.flows.json"] },
  { object: "programs/xdp_l4_lb.o", spec: MIXED, maps: mapsOf("xdp_l4_lb") },
];

function mapsOf(program: string): string[] {
  return readdirSync(join(here, "programs/maps"))
    .filter((f) => f.startsWith(`${program}.`))
    .map((f) => `${f.slice(program.length + 1, -".json".length)}=programs/maps/${f}`);
}

interface Figures {
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
  readonly equivalence: string;
}

function runChild(tree: string, sample: (typeof SAMPLES)[number], nodeFlags: readonly string[] = []): Figures {
  const child = join(here, "bench/run-pipeline-child.ts");
  const r = spawnSync(process.execPath, [...nodeFlags, join(here, "bin/run-ts.js"), child, tree, sample.object, String(packets), sample.spec, ...sample.maps], { encoding: "utf8", cwd: tree });
  if (r.status !== 0) throw new Error(`${tree} ${sample.object}: exit ${r.status}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Figures;
}

const us = (f: Figures): number => (f.cpuSeconds * 1e6) / packets;
console.log(`whole run, ${packets.toLocaleString("en-US")} packets, 8 cores of nfp-4000, CPU µs per packet (min of ${rounds} rounds, load, verify and plan included)`);
for (const sample of SAMPLES.filter((_, i) => chosen === undefined || chosen.includes(i))) {
  const best = new Map<string, Figures>();
  for (let round = 0; round < rounds; round++) {
    for (const [name, tree] of trees) {
      const f = runChild(tree, sample);
      const known = best.get(name);
      if (known === undefined || f.cpuSeconds < known.cpuSeconds) best.set(name, f);
    }
  }
  const cells = trees.map(([name]) => `${name} ${us(best.get(name)!).toFixed(2)} µs`);
  const ratio = trees.length === 2 ? `  ${(us(best.get("base")!) / us(best.get("new")!)).toFixed(2)}x` : "";
  console.log(`${sample.object.replace("programs/", "")} "${sample.spec}": ${cells.join(", ")}${ratio}  [${best.get(trees.at(-1)![0])!.equivalence}]`);
  if (!split) continue;
  for (const [name, tree] of trees) {
    const dir = mkdtempSync(join(tmpdir(), "run-pipeline-prof-"));
    runChild(tree, sample, ["--cpu-prof", `--cpu-prof-dir=${dir}`]);
    const file = readdirSync(dir).map((f) => join(dir, f)).sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0];
    const { totalMs, parts } = profileSplit(JSON.parse(readFileSync(file, "utf8")));
    const shares = [...parts].sort((a, b) => b[1] - a[1]).map(([part, ms]) => `${part} ${((ms * 1e3) / packets).toFixed(2)}`);
    console.log(`  ${name} split, µs per packet (profiled, ${totalMs.toFixed(0)} ms busy): ${shares.join("; ")}`);
  }
}
