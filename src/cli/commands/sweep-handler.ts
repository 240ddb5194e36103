// What `offload-sim sweep` does, loaded only when the command runs (see sweep.ts for its options).
import { writeFileSync } from "node:fs";
import { sweepReport } from "../../report/build.ts";
import { renderHtml } from "../../report/html.ts";
import { renderMarkdown } from "../../report/markdown.ts";
import { createProgress } from "../../report/progress.ts";
import { renderTerminal } from "../../report/terminal.ts";
import { parseLineRate } from "../../sim/line-rate.ts";
import { parseNumberList, runSweep } from "../../sim/sweep.ts";
import { parseMapFlags } from "./run-handler.ts";
import type { SweepArgs } from "./sweep.ts";

// The largest frame the generator builds (bytes incl. FCS), the traffic spec's size= limit.
const MAX_FRAME_BYTES = 9216;
const MIN_FRAME_BYTES = 64;

export async function sweepHandler(args: SweepArgs): Promise<void> {
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
}
