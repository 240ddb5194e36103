import { OffloadSimError } from "../errors.ts";
import { fileErrorWords } from "../input-file.ts";

// Exit status for bad input (unreadable file, malformed object, unknown flag).
export const EXIT_BAD_INPUT = 2;

// Turns anything thrown out of a command — by its handler or by a module the
// handler imports lazily — into one sentence on stderr and an exit status: typed
// errors and yargs usage errors are the user's (2); anything else is ours, so it
// says so, still without a stack trace unless asked for.
export function reportFailure(failure: unknown): never {
  if (failure instanceof OffloadSimError) {
    process.stderr.write(`offload-sim: ${failure.message}\n`);
  } else if (typeof failure === "string") {
    process.stderr.write(`offload-sim: ${failure}\n`);
  } else if (failure instanceof Error && isNodeFileError(failure)) {
    process.stderr.write(`offload-sim: cannot read ${failure.path}: ${fileErrorWords(failure.code)}.\n`);
  } else {
    // One line even when the message has several (a module that failed to compile, say).
    const text = (failure instanceof Error ? failure.message : String(failure)).split("\n").map((line) => line.trim()).filter((line) => line !== "").join(" ");
    process.stderr.write(`offload-sim: internal error: ${text} (set OFFLOAD_SIM_DEBUG=1 for a stack trace)\n`);
    if (process.env.OFFLOAD_SIM_DEBUG && failure instanceof Error) process.stderr.write(`${failure.stack}\n`);
  }
  process.exit(EXIT_BAD_INPUT);
}

function isNodeFileError(err: Error): err is Error & { code: string; path: string } {
  const e = err as Partial<{ code: unknown; path: unknown }>;
  return typeof e.code === "string" && typeof e.path === "string";
}
