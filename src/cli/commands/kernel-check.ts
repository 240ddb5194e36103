// `offload-sim kernel-check prog.o [--prog NAME] [--packets N] [--seed S] [--pcap FILE]
// [--map name=file.json] [--env FILE[#NAME]] [--json]`: the same program, maps and packets
// through the kernel's BPF_PROG_TEST_RUN and through the interpreter, compared per packet.
// Exit 0 when every packet agrees, 1 on the first mismatch or when the kernel rejects
// the program, 2 on bad input or when the kernel cannot be used here.
import type { CommandModule } from "yargs";

const DEFAULT_PACKETS = 1000;
const DEFAULT_TRACE_STEPS = 200;

export interface KernelCheckArgs {
  object: string;
  prog?: string;
  packets: number;
  seed: number;
  pcap?: string;
  map?: string[];
  env?: string;
  cpu?: number;
  trace: number;
  json: boolean;
}

export const kernelCheckCommand: CommandModule<object, KernelCheckArgs> = {
  command: "kernel-check <object>",
  describe: "Compare the interpreter with the kernel's BPF_PROG_TEST_RUN, packet by packet",
  builder: (yargs) =>
    yargs
      .positional("object", { type: "string", demandOption: true, describe: "eBPF ELF object built by clang (-target bpf)" })
      .option("prog", { type: "string", describe: "the XDP program to check (default: the object's only program)" })
      .option("packets", { type: "number", default: DEFAULT_PACKETS, describe: "packets to generate (with --pcap: the most to read)" })
      .option("seed", { type: "number", default: 1, describe: "seed of the packet generator" })
      .option("pcap", { type: "string", describe: "take the packets from a pcap/pcapng capture instead" })
      .option("map", { type: "string", array: true, describe: "name=file.json: initial contents of a map, loaded into both (repeatable)" })
      .option("env", { type: "string", describe: "network environment for bpf_fib_lookup and devmaps: FILE or FILE#NAME (default: an empty namespace)" })
      .option("cpu", { type: "number", describe: "the CPU to pin the test runs to (default: the first allowed)" })
      .option("trace", { type: "number", default: DEFAULT_TRACE_STEPS, describe: "interpreter instructions shown for a mismatch" })
      .option("json", { type: "boolean", default: false, describe: "print the report as JSON" }),
  handler: async (args) => (await import("./kernel-check-handler.ts")).kernelCheckHandler(args),
};
