// Reads a V8 CPU profile (`node --cpu-prof`) of an `offload-sim run` and prints
// where its time went: each sample is charged to the nearest frame of the
// project's own code (walking up from the leaf, so a builtin or the garbage
// collector counts for the code that called it), grouped by the run's parts;
// then the top frames by self time.
//   node bin/run-ts.js bench/profile-split.ts FILE.cpuprofile [TOP]
import { readFileSync } from "node:fs";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

// The run's parts, by the file a frame's code is in (first match wins).
const PARTS: readonly (readonly [string, RegExp])[] = [
  ["traffic generation", /\/src\/traffic\//],
  ["driver (src/sim)", /\/src\/sim\/(driver|port-scheduler|timing-totals|latency-histogram|traffic-source|bottleneck)\.ts/],
  ["host check", /\/src\/(sim\/(host-reference|packet-compare|map-compare)|xdp|interp|helpers|maps|ebpf)\//],
  ["hw-model", /\/hw-model\//],
  ["report building", /\/src\/(report|cli)\//],
  ["start-up (load, verify, plan)", /\/src\//],
];

export function partOf(url: string): string | undefined {
  if (url.includes("/node_modules/")) return undefined;
  for (const [name, pattern] of PARTS) if (pattern.test(url)) return name;
  return undefined;
}

export function profileSplit(profile: CpuProfile): { readonly totalMs: number; readonly parts: Map<string, number>; readonly self: Map<string, number> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const partMemo = new Map<number, string>();
  const part = (id: number): string => {
    const known = partMemo.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id)!;
    const name = node.callFrame.functionName;
    const url = node.callFrame.url;
    const up = parent.get(id);
    const result =
      name === "(idle)" ? "idle"
      : name === "(garbage collector)" ? "garbage collection"
      : /^node:internal\/modules|\/node_modules\/(tsx|esbuild)\//.test(url) ? "module loading (tsx)"
      : partOf(url) ?? (up === undefined ? "other" : part(up));
    partMemo.set(id, result);
    return result;
  };
  const parts = new Map<string, number>();
  const self = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const p = part(id);
    if (p === "idle") return;
    totalMs += ms;
    parts.set(p, (parts.get(p) ?? 0) + ms);
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*\/(src|hw-model|node_modules)\//, "$1/")}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + ms);
  });
  return { totalMs, parts, self };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write("usage: node bin/run-ts.js bench/profile-split.ts FILE.cpuprofile [TOP]\n");
    process.exit(2);
  }
  const top = Number(process.argv[3] ?? 25);
  const { totalMs, parts, self } = profileSplit(JSON.parse(readFileSync(file, "utf8")) as CpuProfile);
  const pct = (ms: number): string => `${((100 * ms) / totalMs).toFixed(1).padStart(5)} %`;
  console.log(`busy ${totalMs.toFixed(0)} ms`);
  for (const [name, ms] of [...parts].sort((a, b) => b[1] - a[1])) console.log(`  ${pct(ms)} ${ms.toFixed(0).padStart(6)} ms  ${name}`);
  console.log("top self time:");
  for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(ms)} ${ms.toFixed(0).padStart(6)} ms  ${name}`);
}
