// Microbenchmarks of the hardware model itself (not of the simulated card):
// simulated packets per second for a 50-instruction program on 1, 8 and 48
// cores, and how the cost grows with the number of packets and of cores.
//
//   node bin/run-ts.js bench/hw-model.ts [--quick] [--json FILE] [--compare DIR] [--stream N,...]
//
// --quick        one timed run of fewer packets per row: a smoke test, too noisy for ratios.
// --compare DIR  also runs another copy of the model (DIR/hw-model/index.ts, e.g. an older commit
//                unpacked with `git archive <commit> hw-model src package.json | tar -x -C DIR` and
//                DIR/node_modules linked to this checkout's) on the same packets, alternating with
//                this one, and prints new/old ratios.
// --stream N,... runs N packets from a generator with keepRecords off and prints the process's
//                resident memory after each run (it should not grow with N).
//
// Each run offers packets at 90% of what the card can sustain with that many
// cores (measured by a first, calibration run at line rate), so every packet
// is executed and replayed; at line rate with one core most packets would be
// lost at ingress and cost almost nothing, which would flatter the model.
//
// Times are given as CPU time of this process (user + system) and wall time.
// The development machine's 2 CPUs are shared: wall time grows with the load
// average (printed), CPU time much less, so ratios are taken from CPU time.
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as current from "../hw-model/index.ts";
import type { NicImage, SimPacket } from "../hw-model/index.ts";

type Model = Pick<typeof current, "assemble" | "loadPreset" | "simulate">;

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const jsonFile = option("--json");
const compareDir = option("--compare");
const streamCounts = option("--stream")
  ?.split(",")
  .map((s) => Number(s.replace(/[_,]/g, "")));

// 50 instructions on every packet's path: read EtherType and protocol, 44 ALU ops, drop.
function fiftyInstructionProgram(): string {
  const lines = ["csr_rd a0, data", "mem_rd x0, a0, #12, #2, s1, swap", "mem_rd x1, a0, #23, #1, s2, swap", "mov a1, x0", "mov b1, x1"];
  for (let i = 0; i < 44; i++) lines.push(["add a2, a1, b1", "xor b2, a2, #7", "shl a3, a2, #3", "sub b3, a3, b2"][i % 4]);
  lines.push("verdict drop");
  return lines.join("\n");
}

const frame = new Uint8Array(64);
frame[12] = 0x08;
frame[14] = 0x45;
frame[23] = 17;

interface Subject {
  readonly name: string;
  readonly model: Model;
  readonly preset: ReturnType<Model["loadPreset"]>;
  readonly image: (cores: number) => NicImage;
  readonly capacity: Map<number, number>;
}

function subject(name: string, model: Model): Subject {
  const preset = model.loadPreset("nfp-4000");
  const program = model.assemble(fiftyInstructionProgram(), "bench50.uc");
  if (program.insns.length !== 50) throw new Error(`the benchmark program has ${program.insns.length} instructions, not 50`);
  return { name, model, preset, image: (cores) => ({ stages: [{ program, cores: Array.from({ length: cores }, (_, i) => i) }], maps: [] }), capacity: new Map() };
}

function capacityPps(s: Subject, cores: number): number {
  let c = s.capacity.get(cores);
  if (c === undefined) {
    const calibration = s.model.simulate(s.preset, s.image(cores), Array.from({ length: 20000 }, () => ({ data: frame })), { keepRecords: false });
    c = calibration.throughputPps;
    s.capacity.set(cores, c);
  }
  return c;
}

function packetsAt(count: number, pps: number): SimPacket[] {
  const gapNs = 1e9 / pps;
  return Array.from({ length: count }, (_, i) => ({ data: frame, arrivalNs: i * gapNs }));
}

interface Measurement {
  readonly model: string;
  readonly cores: number;
  readonly packets: number;
  readonly simulatedMpps: number;
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly packetsPerCpuSecond: number;
  readonly packetsPerWallSecond: number;
  readonly cpuNsPerPacket: number;
}

const cpuMsSince = (start: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1000;
};

function measure(s: Subject, cores: number, count: number): Measurement {
  const packets = packetsAt(count, 0.9 * capacityPps(s, cores));
  const image = s.image(cores);
  // Warm the JIT on a slice first (a few calls: the first calls of simulate() in a process run
  // partly unoptimised code), then time the full run (best of a few).
  for (let k = 0; k < 3; k++) s.model.simulate(s.preset, image, packets.slice(0, Math.min(count, 20000)), { keepRecords: false });
  let cpuMs = Infinity;
  let wallMs = Infinity;
  let simulatedMpps = 0;
  for (let k = 0; k < (quick ? 1 : 3); k++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = s.model.simulate(s.preset, image, packets, { keepRecords: false });
    wallMs = Math.min(wallMs, performance.now() - t0);
    cpuMs = Math.min(cpuMs, cpuMsSince(c0));
    simulatedMpps = r.throughputPps / 1e6;
    if (r.fates.lost) throw new Error(`${r.fates.lost} packets lost at 90% load on ${cores} cores`);
  }
  return {
    model: s.name,
    cores,
    packets: count,
    simulatedMpps,
    cpuMs,
    wallMs,
    packetsPerCpuSecond: count / (cpuMs / 1000),
    packetsPerWallSecond: count / (wallMs / 1000),
    cpuNsPerPacket: (cpuMs * 1e6) / count,
  };
}

const fmt = (x: number): string => Math.round(x).toLocaleString("en");
function table(rows: readonly Measurement[]): void {
  console.log("model    cores  packets  sim Mpps   cpu ms  wall ms  pkts/cpu s  pkts/wall s  cpu ns/pkt");
  for (const r of rows) {
    console.log(
      `${r.model.padEnd(7)}  ${String(r.cores).padStart(5)}  ${String(r.packets).padStart(7)}  ${r.simulatedMpps.toFixed(2).padStart(8)}  ${r.cpuMs.toFixed(0).padStart(7)}  ${r.wallMs.toFixed(0).padStart(7)}  ${fmt(r.packetsPerCpuSecond).padStart(10)}  ${fmt(r.packetsPerWallSecond).padStart(11)}  ${r.cpuNsPerPacket.toFixed(0).padStart(10)}`,
    );
  }
}

const subjects: Subject[] = [subject("current", current)];
if (compareDir) {
  const other = (await import(pathToFileURL(resolve(compareDir, "hw-model/index.ts")).href)) as Model;
  subjects.push(subject("compare", other));
}
// Each measurement on every subject in turn, so machine load falls on both alike.
const each = (cores: number, count: number): Measurement[] => subjects.map((s) => measure(s, cores, count));

// The first calls of simulate() in a process run partly unoptimised code (about ten calls until V8
// settles): warm every subject up on the core counts measured before timing anything.
for (const s of subjects) for (const cores of [1, 8, 48]) measure(s, cores, 20000);

const load = (): string => loadavg().map((x) => x.toFixed(2)).join(" ");
console.log(`hw-model benchmark: 50-instruction program, preset nfp-4000, ${quick ? "quick" : "full"} mode; load average ${load()}\n`);
const base = quick ? 20000 : 100000;

console.log("Headline: 1, 8 and 48 cores");
const headline = [1, 8, 48].flatMap((c) => each(c, base));
table(headline);

console.log("\nGrowth with packets (8 cores): cpu ns per packet should stay flat (linear total cost)");
const byPackets = [base / 4, base / 2, base, base * 2].flatMap((n) => each(8, n));
table(byPackets);

console.log("\nGrowth with cores (same packets): cpu ns per packet may grow at most linearly with cores");
const byCores = [1, 2, 4, 8, 16, 32, 48].flatMap((c) => each(c, base));
table(byCores);

const summary: Record<string, unknown> = { preset: "nfp-4000", loadAverage: loadavg(), headline, byPackets, byCores };
for (const s of subjects) {
  const mine = (rows: readonly Measurement[]) => rows.filter((r) => r.model === s.name);
  const perPacket = mine(byPackets).map((m) => m.cpuNsPerPacket);
  const packetSpread = Math.max(...perPacket) / Math.min(...perPacket);
  const cores = mine(byCores);
  const coreGrowth = cores[cores.length - 1].cpuNsPerPacket / cores[0].cpuNsPerPacket;
  console.log(`\n${s.name}: cost per packet varies ${packetSpread.toFixed(2)}x over an 8x range of packets (1.00x = linear); grows ${coreGrowth.toFixed(2)}x from 1 to 48 cores`);
  summary[`${s.name}PacketSpread`] = packetSpread;
  summary[`${s.name}CoreGrowth`] = coreGrowth;
}
if (subjects.length === 2) {
  console.log("\nSpeed-up, current over compare (CPU time, same run):");
  for (const rows of [headline, byPackets, byCores]) {
    for (let i = 0; i < rows.length; i += 2) {
      const [now, then] = [rows[i], rows[i + 1]];
      console.log(`  ${String(now.cores).padStart(2)} cores ${String(now.packets).padStart(7)} packets: ${(then.cpuMs / now.cpuMs).toFixed(2)}x cpu, ${(then.wallMs / now.wallMs).toFixed(2)}x wall`);
    }
  }
}

if (streamCounts) {
  console.log("\nStreaming (8 cores, packets from a generator, keepRecords off): resident memory after each run");
  const s = subjects[0];
  const image = s.image(8);
  const gapNs = 1e9 / (0.9 * capacityPps(s, 8));
  const stream = function* (count: number): Generator<SimPacket> {
    for (let i = 0; i < count; i++) yield { data: frame, arrivalNs: i * gapNs };
  };
  const streamRows: { packets: number; cpuMs: number; rssMiB: number; heapUsedMiB: number }[] = [];
  for (const count of streamCounts) {
    const c0 = process.cpuUsage();
    s.model.simulate(s.preset, image, stream(count), { keepRecords: false });
    const cpuMs = cpuMsSince(c0);
    const mem = process.memoryUsage();
    const row = { packets: count, cpuMs, rssMiB: mem.rss / 2 ** 20, heapUsedMiB: mem.heapUsed / 2 ** 20 };
    streamRows.push(row);
    console.log(`  ${fmt(count).padStart(11)} packets: ${(cpuMs / 1000).toFixed(1)} s cpu, ${((cpuMs * 1e6) / count).toFixed(0)} cpu ns/packet, rss ${row.rssMiB.toFixed(0)} MiB, heap used ${row.heapUsedMiB.toFixed(0)} MiB`);
  }
  summary.stream = streamRows;
}

if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify(summary, null, 2)}\n`);
