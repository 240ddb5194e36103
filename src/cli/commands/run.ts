// `offload-sim run prog.o --cores 8 [...]`: verify, plan, generate, simulate
// the offload on the NIC model while the host interpreter runs the same
// packets, and print the summary (and write JSON / HTML / markdown reports).
// A partly offloadable program runs its NIC part on the card and the rest on
// the host stage. Exit 0 when every packet and the final maps are identical,
// 1 on a mismatch or when nothing of the program can run on the card, 2 on
// bad input.
import { writeFileSync } from "node:fs";
import type { CommandModule } from "yargs";
import { runReport } from "../../report/build.ts";
import { renderHtml } from "../../report/html.ts";
import { renderMarkdown } from "../../report/markdown.ts";
import { createProgress } from "../../report/progress.ts";
import { renderTerminal } from "../../report/terminal.ts";
import { parseLineRate } from "../../sim/line-rate.ts";
import { SimInputError } from "../../sim/errors.ts";
import { NotOffloadableError } from "../../sim/offload-step.ts";
import { runOffloadSim } from "../../sim/run.ts";
import type { TrafficChoice } from "../../sim/traffic-source.ts";

interface RunArgs {
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

// Exit status when the answer is "no": a mismatch, or a program the card can run nothing of.
const EXIT_NO = 1;

export function parseMapFlags(values: readonly string[] | undefined): { map: string; file: string }[] {
  return (values ?? []).map((text) => {
    const at = text.indexOf("=");
    if (at <= 0 || at === text.length - 1) throw new SimInputError(`--map takes name=file.json, got '${text}'.`);
    return { map: text.slice(0, at), file: text.slice(at + 1) };
  });
}

export function trafficChoice(pcap: string | undefined, spec: string | undefined): TrafficChoice {
  return pcap !== undefined ? { kind: "pcap", file: pcap } : { kind: "generator", spec: spec ?? "" };
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
  handler: (args) => {
    const progress = createProgress(process.stderr, "simulating");
    let result;
    try {
      result = runOffloadSim({
        objectFile: args.object,
        ...(args.prog === undefined ? {} : { program: args.prog }),
        cores: args.cores,
        ...(args.preset === undefined ? {} : { preset: args.preset }),
        traffic: trafficChoice(args.pcap, args.traffic),
        ...(args.packets === undefined ? {} : { packetLimit: args.packets }),
        maps: parseMapFlags(args.map),
        ...(args["line-rate"] === undefined ? {} : { lineRateGbps: parseLineRate(args["line-rate"]) }),
        check: args.check,
        partialCapture: args.partial,
        seed: args.seed,
        onProgress: (done, expected) => progress.update(done, expected),
        onCaptureBroken: (problem, packetsRead) => {
          progress.finish();
          process.stderr.write(`offload-sim: ${problem.replace(/\.$/, "")}; --partial: using the ${packetsRead} packet${packetsRead === 1 ? "" : "s"} before it.\n`);
        },
      });
    } catch (error) {
      progress.finish();
      if (error instanceof NotOffloadableError) {
        process.stderr.write(`offload-sim: ${error.message}\n`);
        process.exitCode = EXIT_NO;
        return;
      }
      throw error;
    }
    progress.finish();
    const report = runReport(result);
    process.stdout.write(renderTerminal(report, { color: process.stdout.isTTY === true }));
    if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
    if (args.md) writeFileSync(args.md, renderMarkdown(report));
    if (args.html) writeFileSync(args.html, renderHtml(report));
    if (result.equivalence.status === "mismatch") process.exitCode = EXIT_NO;
  },
};
