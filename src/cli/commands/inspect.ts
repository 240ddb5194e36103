// `offload-sim inspect prog.o [--json]`: what an eBPF object holds (programs,
// maps, relocations), as the loader reads it.
import type { CommandModule } from "yargs";

interface InspectArgs {
  object: string;
  json: boolean;
  kernelBtf?: string;
}

export const inspectCommand: CommandModule<object, InspectArgs> = {
  command: "inspect <object>",
  describe: "List the programs, maps and relocations of an eBPF object file",
  builder: (yargs) =>
    yargs
      .positional("object", { type: "string", demandOption: true, describe: "eBPF ELF object built by clang (-target bpf)" })
      .option("json", { type: "boolean", default: false, describe: "Print the report as JSON" })
      .option("kernel-btf", { type: "string", describe: "Kernel BTF that kfuncs and __ksym variables are resolved against (default /sys/kernel/btf/vmlinux when present)" }),
  handler: async (args) => {
    const { formatInspect, inspectObject } = await import("../../elf/inspect.ts");
    const { loadObject } = await import("../../elf/load-object.ts");
    const { readInputBytes } = await import("../../input-file.ts");
    const { readKernelBtf, tryKernelBtf } = await import("../../elf/kernel-btf.ts");
    const object = loadObject(readInputBytes(args.object), args.object);
    const needsKernel = object.programs.some((p) => p.externs.length > 0);
    const kernel = !needsKernel ? undefined : args.kernelBtf !== undefined ? readKernelBtf(args.kernelBtf) : tryKernelBtf();
    const report = inspectObject(object, kernel);
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatInspect(report));
  },
};
