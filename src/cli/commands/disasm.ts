// `offload-sim disasm prog.bin`: list eBPF instructions llvm-objdump style
// (`pc: bytes  text`) in the LLVM/kernel or the bpf_conformance syntax.
// `offload-sim disasm prog.o [--prog NAME]`: the same per program of an ELF
// object, linked as it is loaded (subprograms appended), with function labels.
import type { CommandModule } from "yargs";
import type { AsmSyntax } from "../../ebpf/index.ts";

export interface DisasmArgs {
  input: string;
  syntax: AsmSyntax;
  "big-endian": boolean;
  prog?: string;
}

export const disasmCommand: CommandModule<object, DisasmArgs> = {
  command: "disasm <input>",
  describe: "Disassemble raw eBPF instruction bytes or the programs of an ELF object",
  builder: (yargs) =>
    yargs
      .positional("input", { type: "string", demandOption: true, describe: "file of raw eBPF instructions (8 bytes each), or an ELF object" })
      .option("prog", { type: "string", describe: "ELF object: list only this program" })
      .option("syntax", { choices: ["llvm", "mnemonic"] as const, default: "llvm" as AsmSyntax, describe: "llvm: as llvm-objdump prints; mnemonic: bpf_conformance syntax" })
      .option("big-endian", { type: "boolean", default: false, describe: "the bytes are big-endian (bpfeb)" }),
  handler: async (args) => (await import("./disasm-handler.ts")).disasmHandler(args),
};
