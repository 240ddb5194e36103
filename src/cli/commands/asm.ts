// `offload-sim asm prog.s -o prog.bin`: assemble eBPF text (LLVM/kernel or
// bpf_conformance syntax) into raw little-endian instruction bytes.
import { writeFileSync } from "node:fs";
import type { CommandModule } from "yargs";

interface AsmArgs {
  source: string;
  output?: string;
  "big-endian": boolean;
}

// prog.s → prog.bin, anything else → anything.bin
const defaultOutput = (source: string): string => `${source.replace(/\.(s|S|asm)$/, "")}.bin`;

export const asmCommand: CommandModule<object, AsmArgs> = {
  command: "asm <source>",
  describe: "Assemble eBPF assembly (LLVM or bpf_conformance syntax) into raw instruction bytes",
  builder: (yargs) =>
    yargs
      .positional("source", { type: "string", demandOption: true, describe: "assembly text file" })
      .option("output", { alias: "o", type: "string", describe: "where to write the bytes (default: SOURCE with .bin)" })
      .option("big-endian", { type: "boolean", default: false, describe: "encode for a big-endian (bpfeb) target" }),
  handler: async (args) => {
    const { assemble, encodeProgram } = await import("../../ebpf/index.ts");
    const { readInputText } = await import("../../input-file.ts");
    const program = assemble(readInputText(args.source), { sourceName: args.source });
    const output = args.output ?? defaultOutput(args.source);
    writeFileSync(output, encodeProgram(program, { littleEndian: !args["big-endian"] }));
    process.stdout.write(`${output}: ${program.length} instruction slots (${program.length * 8} bytes)\n`);
  },
};
