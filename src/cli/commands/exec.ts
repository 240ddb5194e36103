// `offload-sim exec prog.s|prog.bin [--mem HEX] [--json]`: run a program in the
// reference interpreter with optional input memory (r1 = its address, r2 = its
// length) and print r0, or the fault that ended the run. Exit 0 when the
// program exits, 1 when it faults, 2 for bad input.
// `offload-sim exec prog.o [--prog NAME] --packet FILE | --hex HEX [--map name=file.json]`:
// an XDP program of an ELF object on one packet: the action, the output packet and the
// map entries that changed.
import type { CommandModule } from "yargs";

export interface ExecArgs {
  program: string;
  mem?: string;
  prog?: string;
  packet?: string;
  hex?: string;
  map?: string[];
  routes?: string;
  json: boolean;
  trace: boolean;
  "max-steps"?: number;
}

export const execCommand: CommandModule<object, ExecArgs> = {
  command: "exec <program>",
  describe: "Run an eBPF program in the reference interpreter and print r0",
  builder: (yargs) =>
    yargs
      .positional("program", { type: "string", demandOption: true, describe: "assembly (.s), raw instruction bytes (.bin) or an ELF object (.o)" })
      .option("mem", { type: "string", describe: "input memory as hex bytes; r1 points at it, r2 holds its length" })
      .option("prog", { type: "string", describe: "ELF object: the program to run (default: its only program)" })
      .option("packet", { type: "string", describe: "ELF object: the packet, a raw frame file or a pcap/pcapng (first packet)" })
      .option("hex", { type: "string", describe: "ELF object: the packet as hex bytes" })
      .option("map", { type: "string", array: true, describe: "ELF object: name=file.json, initial contents of a map (repeatable)" })
      .option("routes", { type: "string", describe: "ELF object: route table JSON for bpf_fib_lookup" })
      .option("json", { type: "boolean", default: false, describe: "print the result as JSON" })
      .option("trace", { type: "boolean", default: false, describe: "print every executed instruction and the registers to stderr" })
      .option("max-steps", { type: "number", describe: "instruction budget (default 1000000)" }),
  handler: async (args) => (await import("./exec-handler.ts")).execHandler(args),
};
