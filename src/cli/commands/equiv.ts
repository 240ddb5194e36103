// `offload-sim equiv prog.o [--prog NAME] [--runs N] [--seed S] [--cores LIST]
// [--preset NAME] [--kernel] [--json] [--replay TOKEN]`, or `offload-sim equiv
// --generated` for generated programs: property-based equivalence of the NIC
// (the generated microcode on hw-model, with the host part), the host
// interpreter and, with --kernel, the real kernel. Exit 0 when every case
// agrees, 1 at the first difference (printed shrunk, with a replay command),
// 2 for bad input.
import type { CommandModule } from "yargs";
import { equivReportJson, formatEquivReport, runEquivalence } from "../../equiv/index.ts";
import { EquivInputError } from "../../equiv/errors.ts";
import { readEnvironmentSpec } from "../../equiv/environment.ts";
import { parseMapAssignment } from "../../oracle/object-setup.ts";
import { parseNumberList } from "../../sim/sweep.ts";

interface EquivArgs {
  object?: string;
  prog?: string;
  runs?: number;
  seed?: number;
  cores?: string;
  preset?: string;
  kernel: boolean;
  json: boolean;
  replay?: string;
  generated: boolean;
  shrink: boolean;
  map?: string[];
  env?: string;
}

export const equivCommand: CommandModule<object, EquivArgs> = {
  command: "equiv [object]",
  describe: "Check that the offloaded program does what it does on the host (and in the kernel): generated packets, map states and plans",
  builder: (yargs) =>
    yargs
      .positional("object", { type: "string", describe: "eBPF ELF object built by clang (-target bpf)" })
      .option("prog", { type: "string", describe: "the program, when the object holds several" })
      .option("runs", { type: "number", describe: "cases to run (default 1000)" })
      .option("seed", { type: "number", describe: "fast-check seed (default: a fresh one, printed)" })
      .option("cores", { type: "string", describe: "core counts the plans use, e.g. 1,8,16 (default 1,8,16)" })
      .option("preset", { type: "string", describe: "card preset (default nfp-4000)" })
      .option("map", { type: "string", array: true, describe: "name=file.json: initial contents of a map (repeatable; default the sample's programs/maps files)" })
      .option("env", { type: "string", describe: "network for bpf_fib_lookup and devmaps: FILE or FILE#NAME (e.g. programs/expectations.json#router-netns)" })
      .option("kernel", { type: "boolean", default: false, describe: "also run every case through the kernel's BPF_PROG_TEST_RUN" })
      .option("generated", { type: "boolean", default: false, describe: "generated XDP programs instead of an object's program" })
      .option("shrink", { type: "boolean", default: true, describe: "shrink the first difference to a small case (--no-shrink prints it as found)" })
      .option("replay", { type: "string", describe: "replay the counterexample a previous run printed" })
      .option("json", { type: "boolean", default: false, describe: "print the result as JSON" }),
  handler: async (args) => {
    if (args.object !== undefined && args.generated) throw new EquivInputError("give an object file or --generated, not both.");
    const cores = args.cores === undefined ? undefined : parseNumberList(args.cores, "--cores", 1, Number.MAX_SAFE_INTEGER);
    const report = await runEquivalence({
      ...(args.object === undefined ? {} : { objectFile: args.object }),
      ...(args.prog === undefined ? {} : { program: args.prog }),
      ...(args.map === undefined ? {} : { mapFiles: args.map.map(parseMapAssignment) }),
      ...(args.env === undefined ? {} : { environment: readEnvironmentSpec(args.env), environmentSpec: args.env }),
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
    process.stdout.write(args.json ? `${JSON.stringify(equivReportJson(report), null, 2)}\n` : formatEquivReport(report));
    if (!report.result.agreed) process.exitCode = 1;
  },
};
