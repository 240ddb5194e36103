// What `offload-sim run` does, loaded only when the command runs (see run.ts for its options).
import { writeFileSync } from "node:fs";
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
import type { RunArgs } from "./run.ts";

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

export function runHandler(args: RunArgs): void {
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
      onCaptureNote: (note) => {
        progress.finish();
        process.stderr.write(`offload-sim: ${note}\n`);
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
}
