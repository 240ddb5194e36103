// `offload-sim traffic gen "<spec>" -o out.pcap` writes synthetic traffic to a capture;
// `offload-sim traffic show file.pcap` prints each packet of a capture decoded by layer.
import type { Argv, CommandModule } from "yargs";

export interface GenArgs {
  spec: string;
  packets: number | undefined;
  seed: string | undefined;
  output: string;
  pcapng: boolean;
}

export interface ShowArgs {
  file: string;
  limit: number | undefined;
  partial: boolean;
}

const genCommand: CommandModule<object, GenArgs> = {
  command: "gen <spec>",
  describe: "Generate synthetic traffic into a pcap (or pcapng) file",
  builder: (yargs) =>
    yargs
      .positional("spec", {
        type: "string",
        demandOption: true,
        describe: 'what to generate, e.g. "udp flows=10000 size=64..1500 zipf=1.1 rate=40G" (see docs/traffic.md)',
      })
      .option("packets", { alias: "n", type: "number", describe: "how many packets (overrides count= in the spec; default 1000)" })
      .option("seed", { type: "string", describe: "random seed, a whole number (overrides seed= in the spec; default 1)" })
      .option("output", { alias: "o", type: "string", demandOption: true, describe: "capture file to write" })
      .option("pcapng", { type: "boolean", default: false, describe: "write pcapng instead of pcap" }),
  handler: async (args) => (await import("./traffic-handler.ts")).trafficGen(args),
};

const showCommand: CommandModule<object, ShowArgs> = {
  command: "show <file>",
  describe: "Print each packet of a pcap or pcapng file, decoded by layer",
  builder: (yargs) =>
    yargs
      .positional("file", { type: "string", demandOption: true, describe: "pcap or pcapng capture" })
      .option("limit", { type: "number", describe: "print at most this many packets" })
      .option("partial", { type: "boolean", default: false, describe: "on a truncated or corrupt capture, print the packets before the damage, then the error" }),
  handler: async (args) => (await import("./traffic-handler.ts")).trafficShow(args),
};

export const trafficCommand: CommandModule<object, object> = {
  command: "traffic <command>",
  describe: "Generate synthetic traffic and read captures",
  builder: (yargs: Argv<object>) => yargs.command(genCommand).command(showCommand).demandCommand(1, "Name a traffic command: gen or show."),
  handler: () => {},
};
