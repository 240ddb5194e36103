// The offload compiler's benchmark: for every sample program, the time to plan
// and generate its NIC image, the size of the generated code (eBPF
// instructions against microcode instructions), the cost model's cycles per
// packet, and the functional run time per packet (NIC image plus host part)
// against the reference interpreter's, over the program's crafted packets.
//
//   node bin/run-ts.js bench/offload.ts [--quick] [--cores N]
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { loadPreset } from "../hw-model/presets/load.ts";
import { loadObject } from "../src/elf/index.ts";
import { createMap } from "../src/maps/index.ts";
import { generate, planOffload } from "../src/offload/plan.ts";
import { NicRunner } from "../src/offload/runner.ts";
import { runXdp } from "../src/xdp/index.ts";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const coresAt = args.indexOf("--cores");
const cores = coresAt >= 0 ? Number(args[coresAt + 1]) : 8;
const rounds = quick ? 3 : 20;

const hex = (text: string): Uint8Array => Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface Cases {
  readonly object: string;
  readonly program: string;
  readonly cases: { readonly packet: string }[];
}
const suite = JSON.parse(readFileSync("programs/expectations.json", "utf8")) as { programs: Cases[] };
const preset = loadPreset("nfp-4000");

console.log(`offload compiler benchmark (${quick ? "quick" : "full"}), ${preset.name}, ${cores} cores, load average ${loadavg()[0].toFixed(1)}`);
console.log("program           eBPF  microcode  stages  compile ms  issue cyc  wait cyc  nic us/pkt  interp us/pkt");
for (const p of suite.programs) {
  const object = loadObject(new Uint8Array(readFileSync(p.object)), p.object);
  const program = object.programs.find((x) => x.name === p.program)!;
  let t = cpuMs();
  for (let i = 0; i < rounds; i++) generate(planOffload(program, object.maps, preset, { cores }), preset);
  const compileMs = (cpuMs() - t) / rounds;
  const plan = planOffload(program, object.maps, preset, { cores });
  const image = generate(plan, preset);
  const packets = p.cases.map((c) => hex(c.packet));
  const maps = object.maps.map((d) => createMap(d));
  const runner = new NicRunner(image, maps);
  const programs = new Map(object.programs.map((x, i) => [i, x.insns]));
  const repeat = quick ? 20 : 200;
  t = cpuMs();
  for (let i = 0; i < repeat; i++) for (const packet of packets) runner.run(packet);
  const nicUs = ((cpuMs() - t) * 1000) / (repeat * packets.length);
  t = cpuMs();
  for (let i = 0; i < repeat; i++) for (const packet of packets) runXdp(program.insns, packet, maps, { programs });
  const hostUs = ((cpuMs() - t) * 1000) / (repeat * packets.length);
  const micro = image.stages.reduce((n, s) => n + s.program.insns.length, 0);
  const issue = plan.stages.reduce((n, s) => n + s.issueCyclesPerPacket, 0);
  const wait = plan.stages.reduce((n, s) => n + s.waitCyclesPerPacket, 0);
  const ebpf = program.insns.length;
  console.log(
    `${p.program.padEnd(16)} ${String(ebpf).padStart(5)}  ${String(micro).padStart(9)}  ${String(plan.stages.length).padStart(6)}  ${compileMs.toFixed(1).padStart(10)}  ${issue.toFixed(1).padStart(9)}  ${wait.toFixed(1).padStart(8)}  ${nicUs.toFixed(1).padStart(10)}  ${hostUs.toFixed(1).padStart(13)}`,
  );
}
