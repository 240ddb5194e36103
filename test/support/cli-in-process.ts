// Runs one offload-sim command line in this process, through the commands the
// binary registers, and reports what a user would see: stdout, stderr and the
// exit status, with a typed error turned into its one-line message and status
// 2 as src/cli/failure.ts does. Anything else thrown is returned as `crash`.
import yargs from "yargs";
import { commands } from "../../src/cli/commands/index.ts";
import { OffloadSimError } from "../../src/errors.ts";

export interface CommandOutcome {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly crash?: string;
}

export async function runInProcess(args: readonly string[]): Promise<CommandOutcome> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const writeOut = process.stdout.write;
  const writeErr = process.stderr.write;
  const before = process.exitCode;
  process.exitCode = undefined;
  process.stdout.write = ((chunk: string | Uint8Array) => stdout.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
  let status = 0;
  let crash: string | undefined;
  try {
    let cli = yargs([...args]).strict().exitProcess(false).fail((message, error) => {
      throw error ?? new OffloadSimError(message);
    });
    for (const command of commands) cli = cli.command(command);
    await cli.parseAsync();
    status = Number(process.exitCode ?? 0);
  } catch (failure) {
    if (failure instanceof OffloadSimError) {
      stderr.push(`offload-sim: ${failure.message}\n`);
      status = 2;
    } else {
      crash = failure instanceof Error ? `${failure.name}: ${failure.message}\n${failure.stack ?? ""}` : String(failure);
      status = -1;
    }
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    process.exitCode = before;
  }
  return { status, stdout: stdout.join(""), stderr: stderr.join(""), ...(crash !== undefined ? { crash } : {}) };
}
