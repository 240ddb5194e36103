// `offload-sim inspect prog.o [--json]`: what an eBPF object holds (programs,
// maps, relocations), as the loader reads it.
import type { CommandModule } from "yargs";

interface InspectArgs {
  object: string;
  json: boolean;
}

export const inspectCommand: CommandModule<object, InspectArgs> = {
  command: "inspect <object>",
  describe: "List the programs, maps and relocations of an eBPF object file",
  builder: (yargs) =>
    yargs
      .positional("object", { type: "string", demandOption: true, describe: "eBPF ELF object built by clang (-target bpf)" })
      .option("json", { type: "boolean", default: false, describe: "Print the report as JSON" }),
  handler: async (args) => {
    const { formatInspect, inspectObject } = await import("../../elf/inspect.ts");
    const { loadObject } = await import("../../elf/load-object.ts");
    const { readInputBytes } = await import("../../input-file.ts");
    const report = inspectObject(loadObject(readInputBytes(args.object), args.object));
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatInspect(report));
  },
};
