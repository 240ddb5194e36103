// `offload-sim offload-check prog.o [--prog NAME] [--preset NAME] [--json]`:
// which instructions, helpers, maps, stack and context fields of an XDP
// program the card can run, and why not the rest (pc, disassembly, C line,
// reason). Exit 0 when it offloads in full, 1 when some of it stays on the
// host, 2 on bad input.
import type { CommandModule } from "yargs";

interface OffloadCheckArgs {
  object: string;
  prog?: string;
  preset: string;
  json: boolean;
}

export const offloadCheckCommand: CommandModule<object, OffloadCheckArgs> = {
  command: "offload-check <object>",
  describe: "Check which parts of an XDP program the NIC can run, and why not the rest",
  builder: (yargs) =>
    yargs
      .positional("object", { type: "string", demandOption: true, describe: "eBPF ELF object built by clang (-target bpf)" })
      .option("prog", { type: "string", describe: "the program to check, when the object holds several" })
      .option("preset", { type: "string", default: "nfp-4000", describe: "card preset (nfp-4000, nfp-4000-small, nfp-6000)" })
      .option("json", { type: "boolean", default: false, describe: "print the report as JSON" }),
  handler: async (args) => {
    const { loadPreset } = await import("../../../hw-model/presets/load.ts");
    const { checkCapabilities } = await import("../../offload/capability.ts");
    const { formatCapabilityReport, withSourceText } = await import("../../offload/format.ts");
    const { selectXdpProgram } = await import("../../oracle/object-setup.ts");
    const { readObjectFile } = await import("../../oracle/run-object.ts");
    const preset = loadPreset(args.preset);
    const object = readObjectFile(args.object);
    const program = selectXdpProgram(object, args.prog);
    const { verifiedFacts } = await import("../../offload/verified.ts");
    const report = withSourceText(checkCapabilities(program, object.maps, preset, verifiedFacts(object, program)), args.object);
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatCapabilityReport(report));
    if (!report.fullyOffloadable) process.exitCode = 1;
  },
};
