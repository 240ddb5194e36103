// The same question asked of the running kernel: load the program with its
// maps through src/kernel and report the kernel verifier's verdict in the
// terms verify() uses (verdict, verdict line, log, instructions processed).
//
// A program of an ELF object is loaded as libbpf loads it (instantiateObject:
// the object's own BTF with its func and line info, map BTF, global data), so
// a global subprogram is verified on its own, as it is for a user loading the
// object. A bare program (assembled, generated) has no object BTF: it loads
// with a synthetic func BTF where it has subprograms, every subprogram static.
import type { Program } from "../ebpf/instruction.ts";
import type { BpfObject, ExternRef } from "../elf/bpf-object.ts";
import { instantiateObject, KernelError, KernelSession, ProgFlag, verifierVerdictLine } from "../kernel/index.ts";
import type { KernelHandle, LoadVerdict } from "../kernel/index.ts";
import type { MapDef } from "../maps/types.ts";

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

export interface ObjectKernelVerdictOptions {
  readonly logLevel?: 1 | 2;
  // The object file's bytes, for its .BTF; default: the file object.fileName names (instantiateObject).
  readonly objectBytes?: Uint8Array;
}

const PROCESSED = /^processed (\d+) insns/m;

// Loads `program` in `session` with fresh maps made from `maps` (and a synthetic func BTF where it
// has subprograms), and closes everything it opened.
export function kernelVerdict(session: KernelSession, program: Program, maps: readonly MapDef[], opts: KernelVerdictOptions = {}): KernelVerdict {
  const opened: KernelHandle[] = [];
  try {
    const mapFds = opts.mapFds ?? maps.map((def) => {
      const map = session.createMap(def);
      opened.push(map);
      return map.fd;
    });
    const btf = opts.functions !== undefined && opts.functions.length > 1 ? session.funcInfoBtf(opts.functions) : undefined;
    // The program holds its own reference to the synthetic func BTF: its fd is closed with the rest below.
    if (btf !== undefined) opened.push({ kind: "btf", fd: btf.btfFd });
    const verdict = session.tryLoadProgram({ program, mapFds, ...(opts.externs?.length ? { externs: opts.externs } : {}), name: "verify", license: opts.license ?? "GPL", logLevel: opts.logLevel ?? 1, ...(btf ? { btf } : {}), ...(opts.strictAlignment ? { progFlags: ProgFlag.STRICT_ALIGNMENT } : {}) });
    if (verdict.accepted) opened.push(verdict.program);
    return verdictOf(verdict);
  } finally {
    for (const handle of opened) session.release(handle);
  }
}

// Loads program `programName` of `object` as libbpf loads it (its maps created with the object's
// BTF, the program with the object's func and line info) and closes everything it opened. A map
// the kernel refuses to create is the verdict: libbpf's load fails there, before any program.
export function objectKernelVerdict(session: KernelSession, object: BpfObject, programName: string, opts: ObjectKernelVerdictOptions = {}): KernelVerdict {
  let instance: ReturnType<typeof instantiateObject>;
  try {
    instance = instantiateObject(session, object, { programs: [programName], logLevel: opts.logLevel ?? 1, ...(opts.objectBytes ? { objectBytes: opts.objectBytes } : {}) });
  } catch (error) {
    if (error instanceof KernelError && error.command === "BPF_MAP_CREATE") return mapCreationVerdict(error);
    throw error;
  }
  // instantiateObject refuses a name the object lacks, so the one program asked for has its verdict.
  const verdict = instance.verdicts.get(programName)!;
  try {
    return verdictOf(verdict);
  } finally {
    if (verdict.accepted) session.release(verdict.program);
    for (const map of instance.maps) session.release(map);
  }
}

function verdictOf(verdict: LoadVerdict): KernelVerdict {
  // Some kernel messages lack their newline, which glues them to the statistics line.
  const log = (verdict.accepted ? verdict.program.verifierLog : verdict.error.verifierLog).replace(/([^\n])(processed \d+ insns)/, "$1\n$2");
  const processed = PROCESSED.exec(log);
  return {
    accepted: verdict.accepted,
    message: verdict.accepted ? "" : (verifierVerdictLine(log) ?? verdict.error.message),
    logLines: log.split("\n").map((line) => line.trim()),
    errno: verdict.accepted ? "" : verdict.error.errnoName,
    log,
    processedInsns: processed ? Number(processed[1]) : undefined,
  };
}

// No program was verified: the kernel refused a map; its message (with the BTF log, if any) is the reason.
function mapCreationVerdict(error: KernelError): KernelVerdict {
  const log = error.verifierLog;
  return { accepted: false, message: error.message, errno: error.errnoName, log, logLines: log.split("\n").map((line) => line.trim()), processedInsns: undefined };
}
