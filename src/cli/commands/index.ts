// Every CLI command, one module each. Add a command by adding one import and one entry.
// A command module declares its options only; its handler `await import`s the library (or a
// `<name>-handler.ts` beside it), so `--help` and every other command load none of it.
import type { CommandModule } from "yargs";
import { asmCommand } from "./asm.ts";
import { disasmCommand } from "./disasm.ts";
import { inspectCommand } from "./inspect.ts";
import { conformanceCommand } from "./conformance.ts";
import { execCommand } from "./exec.ts";
import { trafficCommand } from "./traffic.ts";
import { kernelCheckCommand } from "./kernel-check.ts";
import { runCommand } from "./run.ts";
import { sweepCommand } from "./sweep.ts";
import { equivCommand } from "./equiv.ts";
import { verifyCommand } from "./verify.ts";
import { offloadCheckCommand } from "./offload-check.ts";
import { partitionCommand } from "./partition.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [inspectCommand, asmCommand, disasmCommand, execCommand, conformanceCommand, trafficCommand, kernelCheckCommand, runCommand, sweepCommand, equivCommand, verifyCommand, offloadCheckCommand, partitionCommand];
