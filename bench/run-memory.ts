// Peak memory of a long `offload-sim run`, in a process of its own so nothing
// else it did counts: the whole run (traffic generated as it goes, the timing
// model, the host interpreter checking every packet) of PACKETS synthetic
// packets through xdp_mac_swap on 8 cores. Prints one JSON line.
//   node bin/run-ts.js bench/run-memory.ts [PACKETS]
import { resourceUsage } from "node:process";
import { runOffloadSim } from "../src/sim/run.ts";

const packets = Number(process.argv[2] ?? 10_000_000);
const program = new URL("../programs/xdp_mac_swap.o", import.meta.url).pathname;
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
const result = runOffloadSim({ objectFile: program, cores: 8, traffic: { kind: "generator", spec: "udp flows=10000 size=64..1500" }, packetLimit: packets, check: true });
const cpu = process.cpuUsage(cpu0);
const equivalence = result.equivalence;
console.log(
  JSON.stringify({
    packets,
    peakRssMiB: resourceUsage().maxRSS / 1024,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    wallSeconds: (performance.now() - wall0) / 1000,
    equivalence: equivalence.status === "skipped" ? "skipped" : `${equivalence.status}: ${equivalence.packetsIdentical}/${equivalence.packetsCompared} packets identical`,
  }),
);
