// `offload-sim partition prog.o --cores N [--stages K|auto] [--preset NAME] [--json] [--explain]`:
// the offload plan of an XDP program — its pipeline stages with their eBPF
// instructions, cores, microcode size, handover state and estimated cycles per
// packet, the part left to the host, and the predicted throughput and
// bottleneck. --explain adds, per stage, each eBPF instruction beside its microcode.
import type { CommandModule } from "yargs";
import { OffloadError } from "../../offload/errors.ts";

interface PartitionArgs {
  object: string;
  prog?: string;
  cores: number;
  stages: string;
  preset: string;
  json: boolean;
  explain: boolean;
}

function parseStages(text: string): number | "auto" {
  if (text === "auto") return "auto";
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new OffloadError(`--stages takes "auto" or a whole number of at least 1, not '${text}'.`);
  return n;
}

export const partitionCommand: CommandModule<object, PartitionArgs> = {
  command: "partition <object>",
  describe: "Plan the offload of an XDP program over N cores: pipeline stages, host part, predicted throughput",
  builder: (yargs) =>
    yargs
      .positional("object", { type: "string", demandOption: true, describe: "eBPF ELF object built by clang (-target bpf)" })
      .option("prog", { type: "string", describe: "the program to plan, when the object holds several" })
      .option("cores", { type: "number", demandOption: true, describe: "NIC cores to give the program" })
      .option("stages", { type: "string", default: "auto", describe: 'pipeline stages: a number, or "auto" (as few as the code store allows)' })
      .option("preset", { type: "string", default: "nfp-4000", describe: "card preset (nfp-4000, nfp-4000-small, nfp-6000)" })
      .option("json", { type: "boolean", default: false, describe: "print the plan as JSON" })
      .option("explain", { type: "boolean", default: false, describe: "show each stage's eBPF instructions beside their microcode and cycle estimates" }),
  handler: async (args) => {
    const { loadPreset } = await import("../../../hw-model/presets/load.ts");
    const { explainPlan } = await import("../../offload/explain.ts");
    const { formatExplain, formatPlan, planJson } = await import("../../offload/format.ts");
    const { generate, planOffload } = await import("../../offload/plan.ts");
    const { selectXdpProgram } = await import("../../oracle/object-setup.ts");
    const { readObjectFile } = await import("../../oracle/run-object.ts");
    const preset = loadPreset(args.preset);
    const object = readObjectFile(args.object);
    const program = selectXdpProgram(object, args.prog);
    const { verifiedFacts } = await import("../../offload/verified.ts");
    const verifierFacts = verifiedFacts(object, program);
    const plan = planOffload(program, object.maps, preset, { cores: args.cores, stages: parseStages(args.stages), verifierFacts });
    const explained = args.explain ? explainPlan(plan, generate(plan, preset, verifierFacts), preset) : undefined;
    if (args.json) process.stdout.write(`${JSON.stringify({ ...planJson(plan), ...(explained ? { explain: explained } : {}) }, null, 2)}\n`);
    else process.stdout.write(formatPlan(plan) + (explained ? formatExplain(explained) : ""));
  },
};
