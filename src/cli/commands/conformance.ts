// `offload-sim conformance <dir|files...>`: run bpf_conformance `.data` vectors
// through the reference interpreter. One line per failing vector, then
// "N passed, M failed" as the last line; exit 1 if any failed.
import { existsSync } from "node:fs";
import type { CommandModule } from "yargs";
import { OffloadSimError } from "../../errors.ts";

interface ConformanceArgs {
  paths: string[];
}

class ConformanceInputError extends OffloadSimError {}

export const conformanceCommand: CommandModule<object, ConformanceArgs> = {
  command: "conformance <paths..>",
  describe: "Run bpf_conformance test vectors (.data files or directories of them) through the interpreter",
  builder: (yargs) =>
    yargs.positional("paths", { type: "string", array: true, demandOption: true, describe: ".data files or directories holding them" }),
  handler: async (args) => {
    const missing = args.paths.find((path) => !existsSync(path));
    if (missing !== undefined) throw new ConformanceInputError(`${missing}: no such file or directory.`, { file: missing });
    const { runConformance } = await import("../../conformance/runner.ts");
    const summary = runConformance(args.paths);
    for (const outcome of summary.outcomes) {
      if (!outcome.passed) process.stdout.write(`FAIL ${outcome.source}: ${outcome.reason}\n`);
    }
    process.stdout.write(`${summary.passed} passed, ${summary.failed} failed\n`);
    if (summary.failed > 0) process.exitCode = 1;
  },
};
