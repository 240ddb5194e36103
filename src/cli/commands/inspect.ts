// `offload-sim inspect prog.o [--json]`: what an eBPF object holds (programs,
// maps, relocations), as the loader reads it.
import { readFileSync } from "node:fs";
import type { CommandModule } from "yargs";
import { formatInspect, inspectObject } from "../../elf/inspect.ts";
import { loadObject } from "../../elf/load-object.ts";

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
  handler: (args) => {
    const report = inspectObject(loadObject(new Uint8Array(readFileSync(args.object)), args.object));
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatInspect(report));
  },
};
