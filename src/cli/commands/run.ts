// `offload-sim run prog.o --cores 8 [...]`: verify, plan, generate, simulate
// the offload on the NIC model while the host interpreter runs the same
// packets, and print the summary (and write JSON / HTML / markdown reports).
// A partly offloadable program runs its NIC part on the card and the rest on
// the host stage. Exit 0 when every packet and the final maps are identical,
// 1 on a mismatch or when nothing of the program can run on the card, 2 on
// bad input. The work is in run-handler.ts, loaded when the command runs.
import type { CommandModule } from "yargs";

export interface RunArgs {
  object: string;
  prog?: string;
  cores: number;
  preset?: string;
  pcap?: string;
  traffic?: string;
  packets?: number;
  map?: string[];
  "line-rate"?: string;
  json?: string;
  html?: string;
  md?: string;
  check: boolean;
  partial: boolean;
  seed: number;
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: "run <object>",
  describe: "Offload an XDP program to the simulated NIC, measure it, and check it behaves as on the host",
  builder: (yargs) =>
    yargs
      .positional("object", { type: "string", demandOption: true, describe: "eBPF ELF object built by clang (-target bpf)" })
      .option("prog", { type: "string", describe: "the program to run, when the object holds several" })
      .option("cores", { type: "number", demandOption: true, describe: "NIC cores to give the program" })
      .option("preset", { type: "string", describe: "card preset (nfp-4000, nfp-4000-small, nfp-6000; default nfp-4000)" })
      .option("pcap", { type: "string", describe: "replay a pcap or pcapng capture" })
      .option("traffic", { type: "string", describe: 'generate traffic from a spec, e.g. "udp flows=1000 size=64..1500" (docs/traffic.md)' })
      .conflicts("pcap", "traffic")
      .option("packets", { type: "number", describe: "how many packets (a capture: at most; a spec: exactly; default 10000 generated)" })
      .option("map", { type: "string", array: true, describe: "name=file.json: initial contents of a map (repeatable)" })
      .option("line-rate", { type: "string", describe: "rate of each port, e.g. 40G (default: the preset's)" })
      .option("json", { type: "string", describe: "write the full result as JSON to this file (docs/report-format.md)" })
      .option("html", { type: "string", describe: "write a self-contained HTML report to this file" })
      .option("md", { type: "string", describe: "write a markdown report to this file" })
      .option("check", { type: "boolean", default: true, describe: "compare every packet and the final maps with the host interpreter (--no-check skips it)" })
      .option("partial", { type: "boolean", default: false, describe: "a capture that is cut short or corrupt: run the packets before the break instead of failing" })
      .option("seed", { type: "number", default: 1, describe: "random seed of the generator and of bpf_get_prandom_u32" }),
  handler: async (args) => (await import("./run-handler.ts")).runHandler(args),
};
