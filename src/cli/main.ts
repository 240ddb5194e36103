// Entry point of the `offload-sim` command: yargs parsing only; each command
// lives in its own module under commands/ and calls the library.
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { commands } from "./commands/index.ts";
import { reportFailure } from "./failure.ts";

const cli = yargs(hideBin(process.argv))
  .scriptName("offload-sim")
  .usage("$0 <command> [options]\n\nSimulate offloading an eBPF/XDP program to a Netronome-style SmartNIC.")
  .strict()
  .demandCommand(1, "Name a command; `offload-sim --help` lists them.")
  .recommendCommands()
  .help()
  .version()
  .wrap(Math.min(110, process.stdout.columns ?? 110))
  .fail((msg, err) => {
    reportFailure(err ?? msg);
  });

for (const command of commands) cli.command(command);

try {
  await cli.parseAsync();
} catch (err) {
  reportFailure(err);
}
