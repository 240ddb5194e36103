// `offload-sim sweep prog.o --cores 1,2,4,8 [--sizes 64,512,1500] [...]`: the
// run over a grid of core counts and frame sizes (in worker threads when the
// machine has more than one CPU), printed as scaling curves with where and
// why each stops scaling. Exit 0 when every point ran and was identical to the
// host, 1 when a point mismatched, 2 on bad input.
import { writeFileSync } from "node:fs";
import type { CommandModule } from "yargs";
import { sweepReport } from "../../report/build.ts";
import { renderHtml } from "../../report/html.ts";
import { renderMarkdown } from "../../report/markdown.ts";
import { createProgress } from "../../report/progress.ts";
import { renderTerminal } from "../../report/terminal.ts";
import { parseLineRate } from "../../sim/line-rate.ts";
import { parseNumberList, runSweep } from "../../sim/sweep.ts";
import { parseMapFlags } from "./run.ts";

interface SweepArgs {
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

// The largest frame the generator builds (bytes incl. FCS), the traffic spec's size= limit.
const MAX_FRAME_BYTES = 9216;
const MIN_FRAME_BYTES = 64;

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
  handler: async (args) => {
    const cores = parseNumberList(args.cores, "--cores", 1, Number.MAX_SAFE_INTEGER);
    const frameSizes = args.sizes === undefined ? undefined : parseNumberList(args.sizes, "--sizes", MIN_FRAME_BYTES, MAX_FRAME_BYTES);
    const progress = createProgress(process.stderr, "sweeping");
    const result = await runSweep({
      objectFile: args.object,
      ...(args.prog === undefined ? {} : { program: args.prog }),
      cores,
      ...(frameSizes === undefined ? {} : { frameSizes }),
      ...(args.preset === undefined ? {} : { preset: args.preset }),
      ...(args.traffic === undefined ? {} : { spec: args.traffic }),
      ...(args.packets === undefined ? {} : { packets: args.packets }),
      maps: parseMapFlags(args.map),
      ...(args["line-rate"] === undefined ? {} : { lineRateGbps: parseLineRate(args["line-rate"]) }),
      check: args.check,
      seed: args.seed,
      ...(args.workers === undefined ? {} : { workers: args.workers }),
      onPoint: (done, total) => progress.update(done, total),
    }).finally(() => progress.finish());
    const report = sweepReport(result);
    process.stdout.write(renderTerminal(report, { color: process.stdout.isTTY === true }));
    if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
    if (args.md) writeFileSync(args.md, renderMarkdown(report));
    if (args.html) writeFileSync(args.html, renderHtml(report));
    if (result.points.some((p) => p.equivalence === "mismatch")) process.exitCode = 1;
  },
};
