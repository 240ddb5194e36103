// `offload-sim disasm prog.bin`: list eBPF instructions llvm-objdump style
// (`pc: bytes  text`) in the LLVM/kernel or the bpf_conformance syntax.
import { readFileSync } from "node:fs";
import type { CommandModule } from "yargs";
import { type AsmSyntax, listRawBytes } from "../../ebpf/index.ts";

interface DisasmArgs {
  input: string;
  syntax: AsmSyntax;
  "big-endian": boolean;
}

export interface DisasmInputOptions {
  readonly syntax: AsmSyntax;
  readonly littleEndian: boolean;
}

// The listing for one input file. Only raw instruction bytes are read today;
// container formats (ELF objects) are recognised here and listed per section.
export function disassembleInput(path: string, bytes: Uint8Array, opts: DisasmInputOptions): string {
  return disassembleRaw(path, bytes, opts);
}

// Raw bytes: the whole file is one program, 8 bytes per slot.
export function disassembleRaw(path: string, bytes: Uint8Array, opts: DisasmInputOptions): string {
  return listRawBytes(bytes, { sourceName: path, syntax: opts.syntax, littleEndian: opts.littleEndian });
}

export const disasmCommand: CommandModule<object, DisasmArgs> = {
  command: "disasm <input>",
  describe: "Disassemble raw eBPF instruction bytes",
  builder: (yargs) =>
    yargs
      .positional("input", { type: "string", demandOption: true, describe: "file of raw eBPF instructions (8 bytes each)" })
      .option("syntax", { choices: ["llvm", "mnemonic"] as const, default: "llvm" as AsmSyntax, describe: "llvm: as llvm-objdump prints; mnemonic: bpf_conformance syntax" })
      .option("big-endian", { type: "boolean", default: false, describe: "the bytes are big-endian (bpfeb)" }),
  handler: (args) => {
    const bytes = new Uint8Array(readFileSync(args.input));
    process.stdout.write(disassembleInput(args.input, bytes, { syntax: args.syntax, littleEndian: !args["big-endian"] }));
  },
};
