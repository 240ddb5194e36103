// `offload-sim sweep prog.o --cores 1,2,4,8 [--sizes 64,512,1500] [...]`: the
// run over a grid of core counts and frame sizes (in worker threads when the
// machine has more than one CPU), printed as scaling curves with where and
// why each stops scaling. A partly offloadable program is swept like any
// other (its host part on the host stage). Exit 0 when every point ran and was
// identical to the host, 1 when a point mismatched, 2 on bad input. The work
// is in sweep-handler.ts, loaded when the command runs.
import type { CommandModule } from "yargs";

export interface SweepArgs {
  object: string;
  prog?: string;
  cores: string;
  sizes?: string;
  preset?: string;
  traffic?: string;
  packets?: number;
  map?: string[];
  "line-rate"?: string;
  json?: string;
  html?: string;
  md?: string;
  check: boolean;
  seed: number;
  workers?: number;
}

export const sweepCommand: CommandModule<object, SweepArgs> = {
  command: "sweep <object>",
  describe: "Run the offload over several core counts and frame sizes and show where it stops scaling",
  builder: (yargs) =>
    yargs
      .positional("object", { type: "string", demandOption: true, describe: "eBPF ELF object built by clang (-target bpf)" })
      .option("prog", { type: "string", describe: "the program to run, when the object holds several" })
      .option("cores", { type: "string", demandOption: true, describe: "core counts, e.g. 1,2,4,8,16,32" })
      .option("sizes", { type: "string", describe: "frame sizes in bytes incl. FCS, e.g. 64,128,512,1500 (default 64)" })
      .option("preset", { type: "string", describe: "card preset (default nfp-4000)" })
      .option("traffic", { type: "string", describe: "generator spec; its size= is replaced by each of --sizes (default udp)" })
      .option("packets", { type: "number", describe: "packets per point (default 5000)" })
      .option("map", { type: "string", array: true, describe: "name=file.json: initial contents of a map (repeatable)" })
      .option("line-rate", { type: "string", describe: "rate of each port, e.g. 40G (default: the preset's)" })
      .option("json", { type: "string", describe: "write the sweep as JSON to this file (docs/report-format.md)" })
      .option("html", { type: "string", describe: "write a self-contained HTML report to this file" })
      .option("md", { type: "string", describe: "write a markdown report to this file" })
      .option("check", { type: "boolean", default: true, describe: "compare each point with the host interpreter (--no-check skips it)" })
      .option("seed", { type: "number", default: 1, describe: "random seed" })
      .option("workers", { type: "number", describe: "worker threads (default: one per CPU)" }),
  handler: async (args) => (await import("./sweep-handler.ts")).sweepHandler(args),
};
