// Checks that two trees of offload-sim give the same `run` reports: every
// sample program (programs/*.o, with its maps/ files) on a few traffic specs,
// `run --json` in each tree, the reports compared whole (a run report holds no
// wall or CPU time; any field named like one would be left out), and the
// console output and exit status too. Prints one line per case and
// "identical on N samples" at the end; exit 1 when any differs.
//   node bin/run-ts.js bench/run-identical.ts BASE_TREE [NEW_TREE] [--packets N] [--programs a,b]
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const positional = args.filter((a, i) => !a.startsWith("--") && !(i > 0 && args[i - 1].startsWith("--")));
const baseTree = positional[0];
if (baseTree === undefined) {
  process.stderr.write("usage: node bin/run-ts.js bench/run-identical.ts BASE_TREE [NEW_TREE] [--packets N] [--programs a,b]\n");
  process.exit(2);
}
const newTree = resolve(positional[1] ?? new URL("..", import.meta.url).pathname);
const packets = option("--packets") ?? "20000";
const only = option("--programs")?.split(",");

// The default spec (one flow of minimum-size UDP frames at line rate) and a mix that reaches every generator path.
const SPECS = ["", "udp tcp icmp flows=2000 size=64..1500 ipv6=25% vlan=10% malformed=5% synflood=5% zipf=1.1", "tcp udp flows=64 size=64..1500 rate=20G"];
const TIMING_FIELD = /^(wall|cpu|elapsed)/i;

function withoutTiming(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTiming);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => !TIMING_FIELD.test(k)).map(([k, v]) => [k, withoutTiming(v)]));
}

interface Outcome {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly report: unknown;
}

const scratch = mkdtempSync(join(tmpdir(), "run-identical-"));
function runIn(tree: string, object: string, spec: string, tag: string): Outcome {
  const json = join(scratch, `${tag}.json`);
  const program = object.replace(/\.o$/, "");
  const maps = readdirSync(join(tree, "programs/maps"))
    .filter((f) => f.startsWith(`${program}.`))
    .flatMap((f) => ["--map", `${f.slice(program.length + 1, -".json".length)}=programs/maps/${f}`]);
  const cli = ["bin/offload-sim.js", "run", `programs/${object}`, "--cores", "8", "--packets", packets, "--json", json, ...maps, ...(spec ? ["--traffic", spec] : [])];
  const r = spawnSync(process.execPath, cli, { cwd: tree, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, report: existsSync(json) ? withoutTiming(JSON.parse(readFileSync(json, "utf8"))) : undefined };
}

const objects = readdirSync(join(newTree, "programs")).filter((f) => f.endsWith(".o") && (only === undefined || only.includes(f.replace(/\.o$/, ""))));
let same = 0;
let differ = 0;
for (const object of objects) {
  for (const [s, spec] of SPECS.entries()) {
    const tag = `${object}-${s}`;
    const before = runIn(resolve(baseTree), object, spec, `${tag}-base`);
    const after = runIn(newTree, object, spec, `${tag}-new`);
    const problems = [
      before.status !== after.status ? `exit ${before.status} -> ${after.status}` : "",
      before.stdout !== after.stdout ? "console output differs" : "",
      before.stderr !== after.stderr ? "stderr differs" : "",
      !isDeepStrictEqual(before.report, after.report) ? "report differs" : "",
    ].filter(Boolean);
    if (problems.length === 0) same++;
    else differ++;
    const equivalence = (after.report as { run?: { equivalence?: { status?: string } } } | undefined)?.run?.equivalence?.status ?? `exit ${after.status}`;
    console.log(`${problems.length === 0 ? "same  " : "DIFFER"} ${object} ${JSON.stringify(spec || "(default)")} [${equivalence}]${problems.length ? `: ${problems.join(", ")}` : ""}`);
  }
}
console.log(differ === 0 ? `identical on ${same} samples (${objects.length} programs x ${SPECS.length} specs, ${packets} packets each)` : `${differ} of ${same + differ} samples differ`);
process.exit(differ === 0 ? 0 : 1);
