// A failed bpf() command: which command, on which object, the errno the kernel
// returned (number and symbolic name) and, for BPF_PROG_LOAD, the verifier log.
import { getSystemErrorMap } from "node:util";
import { OffloadSimError } from "../errors.ts";
import { Errno, errnoName as mapErrnoName } from "../maps/errno.ts";

const kernelSpelled: ReadonlySet<number> = new Set(Object.values(Errno));

// The kernel's name for an errno (src/maps/errno.ts spells the ones bpf() returns,
// ENOTSUPP and EOPNOTSUPP included), else the C library's, else "errno N".
export function errnoName(errno: number): string {
  if (kernelSpelled.has(errno)) return mapErrnoName(errno);
  return getSystemErrorMap().get(-errno)?.[0] ?? `errno ${errno}`;
}

export interface KernelErrorDetails {
  readonly command: string; // "BPF_PROG_LOAD", "BPF_MAP_UPDATE_ELEM", ...
  // The call as the message shows it; default `bpf(<command>)`.
  readonly call?: string;
  readonly object?: string; // "map 'counters'", "program 'xdp_pass'"
  readonly errno: number;
  readonly verifierLog?: string;
  readonly hint?: string; // what the kernel is known to require, when the errno alone is not telling
}

export class KernelError extends OffloadSimError {
  readonly command: string;
  readonly errno: number;
  readonly errnoName: string;
  // The full verifier log for BPF_PROG_LOAD (empty when the kernel wrote none).
  readonly verifierLog: string;

  constructor(details: KernelErrorDetails) {
    const name = errnoName(details.errno);
    const target = details.object === undefined ? "" : ` of ${details.object}`;
    const reason = details.verifierLog === undefined ? undefined : verifierVerdictLine(details.verifierLog);
    const because = [reason, details.hint].filter((part) => part !== undefined && part !== "").join("; ");
    const call = details.call ?? `bpf(${details.command})`;
    super(`${call}${target} failed with ${name}${because === "" ? "" : `: ${because}`}.`, {
      command: details.command,
      errno: details.errno,
      ...(details.object === undefined ? {} : { object: details.object }),
    });
    this.command = details.command;
    this.errno = details.errno;
    this.errnoName = name;
    this.verifierLog = details.verifierLog ?? "";
  }
}

// The verifier states why it rejects a program on the last line before its
// "processed N insns" statistics (kernel/bpf/verifier.c, print_verification_stats).
export function verifierVerdictLine(log: string): string | undefined {
  const lines = log
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("processed ") && !line.startsWith("verification time"));
  return lines.at(-1);
}
