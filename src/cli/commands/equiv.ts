// `offload-sim equiv prog.o [--prog NAME] [--runs N] [--seed S] [--cores LIST]
// [--preset NAME] [--pcap FILE] [--kernel] [--json] [--replay TOKEN]`, or `offload-sim equiv
// --generated` for generated programs: property-based equivalence of the NIC
// (the generated microcode on hw-model, with the host part), the host
// interpreter and, with --kernel, the real kernel. Exit 0 when every case
// agrees, 1 at the first difference (printed shrunk, with a replay command),
// 2 for bad input. The work is in equiv-handler.ts, loaded when the command runs.
import type { CommandModule } from "yargs";

export interface EquivArgs {
  object?: string;
  prog?: string;
  runs?: number;
  seed?: number;
  cores?: string;
  preset?: string;
  kernel: boolean;
  json: boolean;
  replay?: string;
  generated: boolean;
  shrink: boolean;
  map?: string[];
  env?: string;
  pcap?: string;
}

export const equivCommand: CommandModule<object, EquivArgs> = {
  command: "equiv [object]",
  describe: "Check that the offloaded program does what it does on the host (and in the kernel): generated packets, map states and plans",
  builder: (yargs) =>
    yargs
      .positional("object", { type: "string", describe: "eBPF ELF object built by clang (-target bpf)" })
      .option("prog", { type: "string", describe: "the program, when the object holds several" })
      .option("runs", { type: "number", describe: "cases to run (default 1000)" })
      .option("seed", { type: "number", describe: "fast-check seed (default: a fresh one, printed)" })
      .option("cores", { type: "string", describe: "core counts the plans use, e.g. 1,8,16 (default 1,8,16)" })
      .option("preset", { type: "string", describe: "card preset (default nfp-4000)" })
      .option("map", { type: "string", array: true, describe: "name=file.json: initial contents of a map (repeatable; default the sample's programs/maps files)" })
      .option("env", { type: "string", describe: "network for bpf_fib_lookup and devmaps: FILE or FILE#NAME (e.g. programs/expectations.json#router-netns)" })
      .option("pcap", { type: "string", describe: "run the packets of a pcap/pcapng capture: each frame once as captured, then drawn variations of them" })
      .option("kernel", { type: "boolean", default: false, describe: "also run every case through the kernel's BPF_PROG_TEST_RUN" })
      .option("generated", { type: "boolean", default: false, describe: "generated XDP programs instead of an object's program" })
      .option("shrink", { type: "boolean", default: true, describe: "shrink the first difference to a small case (--no-shrink prints it as found)" })
      .option("replay", { type: "string", describe: "replay the counterexample a previous run printed" })
      .option("json", { type: "boolean", default: false, describe: "print the result as JSON" }),
  handler: async (args) => (await import("./equiv-handler.ts")).equivHandler(args),
};
