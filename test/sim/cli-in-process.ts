// Runs one `offload-sim run` or `sweep` command line in this process, through
// the same yargs declaration the binary uses, and gives back what it printed
// and the exit status it set (0 when it set none). Many runs then cost one
// module load instead of one child process each.
import yargs from "yargs";
import { runCommand } from "../../src/cli/commands/run.ts";
import { sweepCommand } from "../../src/cli/commands/sweep.ts";

export interface CliOutcome {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function offloadSimInProcess(args: readonly string[]): Promise<CliOutcome> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const writeOut = process.stdout.write;
  const writeErr = process.stderr.write;
  const before = process.exitCode;
  process.exitCode = undefined;
  process.stdout.write = ((chunk: string | Uint8Array) => stdout.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
  let status: number;
  try {
    await yargs([...args])
      .command(runCommand)
      .command(sweepCommand)
      .strict()
      .exitProcess(false)
      .fail((message, error) => {
        throw error ?? new Error(message);
      })
      .parseAsync();
    status = Number(process.exitCode ?? 0);
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    process.exitCode = before;
  }
  return { status, stdout: stdout.join(""), stderr: stderr.join("") };
}

// The equivalence line's counts: "Equivalence 1,933/1,933 packets identical..." gives [1933, 1933].
export function equivalenceCounts(stdout: string): { readonly identical: number; readonly compared: number; readonly line: string } | undefined {
  const match = /^Equivalence +(MISMATCH: )?([\d,]+)\/([\d,]+) packets identical.*$/m.exec(stdout);
  if (!match) return undefined;
  const n = (text: string): number => Number(text.replace(/,/g, ""));
  return { identical: n(match[2]), compared: n(match[3]), line: match[0] };
}

// `--map name=file` flags for every programs/maps/<base>.<map>.json of a sample.
export function sampleMapFlags(base: string, mapFiles: readonly string[], mapDir: string): string[] {
  return mapFiles.filter((f) => f.startsWith(`${base}.`) && f.endsWith(".json")).flatMap((f) => ["--map", `${f.slice(base.length + 1, -".json".length)}=${mapDir}/${f}`]);
}
