// The same question asked of the running kernel: load the program with its
// maps through src/kernel and report the kernel verifier's verdict in the
// terms verify() uses (verdict, verdict line, log, instructions processed).
import type { Program } from "../ebpf/instruction.ts";
import { KernelSession, ProgFlag, verifierVerdictLine } from "../kernel/index.ts";
import type { KernelHandle } from "../kernel/index.ts";
import type { MapDef } from "../maps/types.ts";
import type { ExternRef } from "../elf/bpf-object.ts";

export interface KernelVerdict {
  readonly accepted: boolean;
  // The last line before the statistics: the kernel's reason for a rejection.
  readonly message: string;
  readonly errno: string;
  readonly log: string;
  readonly logLines: readonly string[];
  readonly processedInsns: number | undefined;
}

export interface KernelVerdictOptions {
  readonly license?: string;
  readonly logLevel?: 1 | 2;
  // Where each function starts, for programs whose subprograms the kernel accepts only with BTF func info.
  readonly functions?: readonly { readonly name: string; readonly startPc: number }[];
  // BPF_F_STRICT_ALIGNMENT, as VerifyOptions.strictAlignment.
  readonly strictAlignment?: boolean;
  // Maps already created in the session (one fd per MapDef, in order), reused instead of fresh ones.
  readonly mapFds?: readonly number[];
  // kfunc calls and __ksym loads, resolved against the running kernel's BTF when loading.
  readonly externs?: readonly ExternRef[];
}

const PROCESSED = /^processed (\d+) insns/m;

// Loads `program` in `session` with fresh maps made from `maps`, and closes everything it opened.
export function kernelVerdict(session: KernelSession, program: Program, maps: readonly MapDef[], opts: KernelVerdictOptions = {}): KernelVerdict {
  const opened: KernelHandle[] = [];
  try {
    const mapFds = opts.mapFds ?? maps.map((def) => {
      const map = session.createMap(def);
      opened.push(map);
      return map.fd;
    });
    const btf = opts.functions !== undefined && opts.functions.length > 1 ? session.funcInfoBtf(opts.functions) : undefined;
    const verdict = session.tryLoadProgram({ program, mapFds, ...(opts.externs?.length ? { externs: opts.externs } : {}), name: "verify", license: opts.license ?? "GPL", logLevel: opts.logLevel ?? 1, ...(btf ? { btf } : {}), ...(opts.strictAlignment ? { progFlags: ProgFlag.STRICT_ALIGNMENT } : {}) });
    // Some kernel messages lack their newline, which glues them to the statistics line.
    const log = (verdict.accepted ? verdict.program.verifierLog : verdict.error.verifierLog).replace(/([^\n])(processed \d+ insns)/, "$1\n$2");
    if (verdict.accepted) opened.push(verdict.program);
    const processed = PROCESSED.exec(log);
    return {
      accepted: verdict.accepted,
      message: verdict.accepted ? "" : (verifierVerdictLine(log) ?? verdict.error.message),
      logLines: log.split("\n").map((line) => line.trim()),
      errno: verdict.accepted ? "" : verdict.error.errnoName,
      log,
      processedInsns: processed ? Number(processed[1]) : undefined,
    };
  } finally {
    for (const handle of opened) session.release(handle);
  }
}
