// `offload-sim verify prog.o [--prog NAME] [--log-level 1|2] [--json]`: the
// static verifier's verdict on each XDP program of an object (or on an
// assembly file), in the kernel's words. Exit 0 when every program is
// accepted, 1 when one is rejected, 2 for bad input.
import type { CommandModule } from "yargs";

export interface VerifyArgs {
  object: string;
  prog?: string;
  "log-level": number;
  json: boolean;
}

export const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: "verify <object>",
  describe: "Check XDP programs the way the kernel verifier does, and say why a program would be rejected",
  builder: (yargs) =>
    yargs
      .positional("object", { type: "string", demandOption: true, describe: "eBPF ELF object (clang -target bpf) or LLVM-syntax assembly (.s)" })
      .option("prog", { type: "string", describe: "Verify only the program with this name" })
      .option("log-level", { type: "number", default: 0, choices: [0, 1, 2], describe: "Also print the kernel-style log: 1 = the failing path, 2 = every instruction with its register state" })
      .option("json", { type: "boolean", default: false, describe: "Print the verdicts and per-instruction facts as JSON" }),
  handler: async (args) => (await import("./verify-handler.ts")).verifyHandler(args),
};
