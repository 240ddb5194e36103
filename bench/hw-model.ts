// Microbenchmarks of the hardware model itself (not of the simulated card):
// simulated packets per second of wall time for a 50-instruction program on
// 1, 8 and 48 cores, and how the cost grows with the number of packets and of
// cores. Run: node bin/run-ts.js bench/hw-model.ts [--quick] [--json FILE]
//
// Each run offers packets at 90% of what the card can sustain with that many
// cores (measured by a first, calibration run at line rate), so every packet
// is executed and replayed; at line rate with one core most packets would be
// lost at ingress and cost almost nothing, which would flatter the model.
import { writeFileSync } from "node:fs";
import { assemble, loadPreset, simulate, type NicImage, type SimPacket } from "../hw-model/index.ts";

const quick = process.argv.includes("--quick");
const jsonAt = process.argv.indexOf("--json");
const jsonFile = jsonAt > 0 ? process.argv[jsonAt + 1] : undefined;

// 50 instructions on every packet's path: read EtherType and protocol, 44 ALU ops, drop.
function fiftyInstructionProgram(): string {
  const lines = ["csr_rd a0, data", "mem_rd x0, a0, #12, #2, s1, swap", "mem_rd x1, a0, #23, #1, s2, swap", "mov a1, x0", "mov b1, x1"];
  for (let i = 0; i < 44; i++) lines.push(["add a2, a1, b1", "xor b2, a2, #7", "shl a3, a2, #3", "sub b3, a3, b2"][i % 4]);
  lines.push("verdict drop");
  return lines.join("\n");
}

const preset = loadPreset("nfp-4000");
const program = assemble(fiftyInstructionProgram(), "bench50.uc");
if (program.insns.length !== 50) throw new Error(`the benchmark program has ${program.insns.length} instructions, not 50`);
const frame = new Uint8Array(64);
frame[12] = 0x08;
frame[14] = 0x45;
frame[23] = 17;

const image = (cores: number): NicImage => ({ stages: [{ program, cores: Array.from({ length: cores }, (_, i) => i) }], maps: [] });

function packetsAt(count: number, pps: number): SimPacket[] {
  const gapNs = 1e9 / pps;
  return Array.from({ length: count }, (_, i) => ({ data: frame, arrivalNs: i * gapNs }));
}

interface Measurement {
  readonly cores: number;
  readonly packets: number;
  readonly simulatedMpps: number;
  readonly wallMs: number;
  readonly simulatedPacketsPerWallSecond: number;
  readonly wallNsPerPacket: number;
}

const capacity = new Map<number, number>();
function capacityPps(cores: number): number {
  let c = capacity.get(cores);
  if (c === undefined) {
    const calibration = simulate(preset, image(cores), Array.from({ length: 20000 }, () => ({ data: frame })), { keepRecords: false });
    c = calibration.throughputPps;
    capacity.set(cores, c);
  }
  return c;
}

function measure(cores: number, count: number): Measurement {
  const packets = packetsAt(count, 0.9 * capacityPps(cores));
  // Warm the JIT on a slice first, then time the full run (best of a few).
  simulate(preset, image(cores), packets.slice(0, Math.min(count, 5000)), { keepRecords: false });
  let best = Infinity;
  let simulatedMpps = 0;
  for (let k = 0; k < (quick ? 1 : 3); k++) {
    const t0 = performance.now();
    const r = simulate(preset, image(cores), packets, { keepRecords: false });
    best = Math.min(best, performance.now() - t0);
    simulatedMpps = r.throughputPps / 1e6;
    if (r.fates.lost) throw new Error(`${r.fates.lost} packets lost at 90% load on ${cores} cores`);
  }
  return { cores, packets: count, simulatedMpps, wallMs: best, simulatedPacketsPerWallSecond: count / (best / 1000), wallNsPerPacket: (best * 1e6) / count };
}

const base = quick ? 20000 : 100000;
const table = (rows: Measurement[]): void => {
  console.log("cores  packets  simulated Mpps  wall ms  sim pkts/wall s  wall ns/pkt");
  for (const r of rows) {
    console.log(
      `${String(r.cores).padStart(5)}  ${String(r.packets).padStart(7)}  ${r.simulatedMpps.toFixed(2).padStart(14)}  ${r.wallMs.toFixed(0).padStart(7)}  ${Math.round(r.simulatedPacketsPerWallSecond).toLocaleString("en").padStart(15)}  ${r.wallNsPerPacket.toFixed(0).padStart(11)}`,
    );
  }
};

console.log(`hw-model benchmark: 50-instruction program, preset ${preset.name}, ${quick ? "quick" : "full"} mode\n`);
console.log("Headline: 1, 8 and 48 cores");
const headline = [1, 8, 48].map((c) => measure(c, base));
table(headline);

console.log("\nGrowth with packets (8 cores): wall ns per packet should stay flat (linear total cost)");
const byPackets = [base / 4, base / 2, base, base * 2].map((n) => measure(8, n));
table(byPackets);

console.log("\nGrowth with cores (same packets): wall ns per packet may grow at most linearly with cores");
const byCores = [1, 2, 4, 8, 16, 32, 48].map((c) => measure(c, base));
table(byCores);

const perPacket = byPackets.map((m) => m.wallNsPerPacket);
const packetSpread = Math.max(...perPacket) / Math.min(...perPacket);
const coreGrowth = byCores[byCores.length - 1].wallNsPerPacket / byCores[0].wallNsPerPacket;
console.log(`\ncost per packet varies ${packetSpread.toFixed(2)}x over a ${byPackets[byPackets.length - 1].packets / byPackets[0].packets}x range of packets (1.00x = perfectly linear)`);
console.log(`cost per packet grows ${coreGrowth.toFixed(2)}x from 1 to 48 cores (48x would be linear growth)`);

if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify({ preset: preset.name, headline, byPackets, byCores, packetSpread, coreGrowth }, null, 2)}\n`);
