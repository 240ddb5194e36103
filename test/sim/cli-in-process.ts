// `offload-sim run` and `sweep` command lines in this process (test/support/cli-in-process.ts), where
// anything but a typed error fails the test, and readers of what they print.
import { runInProcess } from "../support/cli-in-process.ts";

export interface CliOutcome {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function offloadSimInProcess(args: readonly string[]): Promise<CliOutcome> {
  const outcome = await runInProcess(args);
  if (outcome.crash !== undefined) throw new Error(outcome.crash);
  return { status: outcome.status, stdout: outcome.stdout, stderr: outcome.stderr };
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
