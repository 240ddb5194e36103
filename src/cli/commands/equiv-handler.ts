// The work of `offload-sim equiv` (equiv.ts declares its options).
import { equivReportJson, formatEquivReport, runEquivalence } from "../../equiv/index.ts";
import { EquivInputError } from "../../equiv/errors.ts";
import { readEnvironmentSpec } from "../../equiv/environment.ts";
import { parseMapAssignment } from "../../oracle/object-setup.ts";
import { parseNumberList } from "../../sim/sweep.ts";
import type { EquivArgs } from "./equiv.ts";

export async function equivHandler(args: EquivArgs): Promise<void> {
  if (args.object !== undefined && args.generated) throw new EquivInputError("give an object file or --generated, not both.");
  const cores = args.cores === undefined ? undefined : parseNumberList(args.cores, "--cores", 1, Number.MAX_SAFE_INTEGER);
  const report = await runEquivalence({
    ...(args.object === undefined ? {} : { objectFile: args.object }),
    ...(args.prog === undefined ? {} : { program: args.prog }),
    ...(args.map === undefined ? {} : { mapFiles: args.map.map(parseMapAssignment) }),
    ...(args.env === undefined ? {} : { environment: readEnvironmentSpec(args.env), environmentSpec: args.env }),
    ...(args.pcap === undefined ? {} : { captureFile: args.pcap }),
    generated: args.generated,
    ...(args.runs === undefined ? {} : { runs: args.runs }),
    ...(args.seed === undefined ? {} : { seed: args.seed }),
    ...(cores === undefined ? {} : { cores }),
    ...(args.preset === undefined ? {} : { preset: args.preset }),
    kernel: args.kernel,
    shrink: args.shrink,
    ...(args.replay === undefined ? {} : { replay: args.replay }),
    onStart: (seed) => {
      if (!args.json) process.stderr.write(`offload-sim equiv: seed ${seed}\n`);
    },
  });
  for (const note of report.capture?.notes ?? []) process.stderr.write(`offload-sim: ${note}\n`);
  process.stdout.write(args.json ? `${JSON.stringify(equivReportJson(report), null, 2)}\n` : formatEquivReport(report));
  if (!report.result.agreed) process.exitCode = 1;
}
