// BPF_PROG_LOAD with the verifier log captured in full.
//
// The log buffer starts small and grows when the kernel answers ENOSPC (the
// log did not fit; since Linux 6.4 it also reports the size it needed in
// log_true_size). A failure without a log (log level 0) is retried once at
// level 1 so that the error always carries the verifier's explanation.
//
// BTF: the kernel accepts bpf-to-bpf calls without BTF (every subprogram is
// then "static" and verified in its caller's context), but refuses a
// subprogram that does a tail call or an LD_ABS/LD_IND without BTF func info
// ("tail_call is not allowed in subprogs without BTF", kernel/bpf/verifier.c,
// check_abnormal_return), and only BTF func info can mark a subprogram global
// (verified once, on its own). `btf` passes that func info.
import type { Program } from "../ebpf/instruction.ts";
import type { ExternRef } from "../elf/bpf-object.ts";
import { resolveKernelExterns } from "../elf/kernel-btf-externs.ts";
import { readKernelBtf } from "../elf/kernel-btf.ts";
import { Errno } from "../maps/errno.ts";
import { FuncInfoLayout, LineInfoLayout, ProgLoadAttr } from "./attr-layout.ts";
import { invoke, kernelObjectName, readCString, setObjectName, setPointer, withArena, type BpfOutcome } from "./bpf-call.ts";
import { KernelError } from "./kernel-error.ts";
import type { Native } from "./native.ts";
import { programImage } from "./program-image.ts";
import { BpfCmd, LogLevel, MAX_LOG_BYTES, ProgType, type VerifierLogLevel } from "./uapi.ts";

// One record of BTF func info: the subprogram starting at instruction `insnOff` has BTF type `typeId` (a BTF_KIND_FUNC).
export interface FuncInfo {
  readonly insnOff: number;
  readonly typeId: number;
}

// One record of BTF line info: the instruction at `insnOff` comes from `line`:`column` of the
// file and source line whose names are at those offsets of the BTF's string table.
export interface LineInfo {
  readonly insnOff: number;
  readonly fileNameOff: number;
  readonly lineOff: number;
  readonly line: number;
  readonly column: number;
}

export interface ProgramBtf {
  // An fd from KernelSession.loadBtf.
  readonly btfFd: number;
  readonly funcInfo: readonly FuncInfo[];
  // Source lines for the verifier's log, as libbpf passes them from .BTF.ext.
  readonly lineInfo?: readonly LineInfo[];
}

// bpf_line_info.line_col: the line above bit 10, the column below (include/uapi/linux/bpf.h BPF_LINE_INFO_LINE_NUM).
const LINE_COL_SHIFT = 10;
const COLUMN_MASK = (1 << LINE_COL_SHIFT) - 1;

export interface ProgramLoadSpec {
  readonly program: Program;
  // fds of the maps the program's BPF_PSEUDO_MAP_IDX / _IDX_VALUE loads name by index (see program-image.ts).
  readonly mapFds?: readonly number[];
  readonly name?: string;
  readonly progType?: number; // default ProgType.XDP
  // Default 0, what clang+libbpf objects of every kernel era load with; XdpAttachType.XDP_DEVMAP/_CPUMAP select those contexts.
  readonly expectedAttachType?: number;
  readonly license?: string; // default "GPL" (gpl_only helpers need it)
  readonly progFlags?: number; // ProgFlag bits
  // LINUX_VERSION_CODE the program was built for (kprobe programs were checked against it before Linux 5.0); default 0.
  readonly kernVersion?: number;
  readonly logLevel?: VerifierLogLevel; // default 1
  readonly btf?: ProgramBtf;
  // kfunc calls and __ksym loads (BpfProgram.externs): patched with the running kernel's BTF ids before loading.
  readonly externs?: readonly ExternRef[];
}

export interface LoadOutcome {
  readonly fd: number;
  readonly verifierLog: string;
}

// First log buffer: enough for the log of most small programs at level 1.
const INITIAL_LOG_BYTES = 64 * 1024;

export function loadProgramFd(native: Native, spec: ProgramLoadSpec, label: string): LoadOutcome {
  const program = spec.externs?.length ? resolveKernelExterns(spec.program, spec.externs, readKernelBtf()) : spec.program;
  const insns = programImage(program, spec.mapFds ?? []);
  const logLevel = spec.logLevel ?? LogLevel.BASIC;
  let logBytes = logLevel === LogLevel.OFF ? 0 : INITIAL_LOG_BYTES;
  for (;;) {
    const attempt = loadOnce(native, spec, insns, logLevel, logBytes);
    if (attempt.outcome.ok) return { fd: attempt.outcome.result, verifierLog: attempt.log };
    const errno = attempt.outcome.errno;
    if (errno === Errno.ENOSPC && logLevel !== LogLevel.OFF && logBytes < MAX_LOG_BYTES) {
      logBytes = Math.min(MAX_LOG_BYTES, Math.max(attempt.logTrueSize, logBytes * 2));
      continue;
    }
    if (logLevel === LogLevel.OFF) {
      // Load again with a log, only to explain the failure.
      return loadProgramFd(native, { ...spec, logLevel: LogLevel.BASIC }, label);
    }
    throw new KernelError({ command: "BPF_PROG_LOAD", object: label, errno, verifierLog: attempt.log });
  }
}

interface Attempt {
  readonly outcome: BpfOutcome;
  readonly log: string;
  readonly logTrueSize: number;
}

function loadOnce(native: Native, spec: ProgramLoadSpec, insns: Uint8Array, logLevel: number, logBytes: number): Attempt {
  return withArena(native, (arena) => {
    const attr = arena.alloc(ProgLoadAttr.size);
    const progType = spec.progType ?? ProgType.XDP;
    const log = logBytes > 0 ? arena.alloc(logBytes) : undefined;
    attr.view.setUint32(ProgLoadAttr.prog_type, progType, true);
    attr.view.setUint32(ProgLoadAttr.insn_cnt, spec.program.length, true);
    setPointer(attr, ProgLoadAttr.insns, arena.copyOf(insns));
    setPointer(attr, ProgLoadAttr.license, arena.cString(spec.license ?? "GPL"));
    attr.view.setUint32(ProgLoadAttr.log_level, log === undefined ? 0 : logLevel, true);
    attr.view.setUint32(ProgLoadAttr.log_size, logBytes, true);
    setPointer(attr, ProgLoadAttr.log_buf, log);
    attr.view.setUint32(ProgLoadAttr.prog_flags, (spec.progFlags ?? 0) >>> 0, true);
    attr.view.setUint32(ProgLoadAttr.kern_version, (spec.kernVersion ?? 0) >>> 0, true);
    setObjectName(attr, ProgLoadAttr.prog_name, kernelObjectName(spec.name ?? ""));
    attr.view.setUint32(ProgLoadAttr.expected_attach_type, spec.expectedAttachType ?? 0, true);
    if (spec.btf !== undefined) {
      const records = arena.alloc(spec.btf.funcInfo.length * FuncInfoLayout.size);
      spec.btf.funcInfo.forEach((record, i) => {
        records.view.setUint32(i * FuncInfoLayout.size + FuncInfoLayout.insn_off, record.insnOff, true);
        records.view.setUint32(i * FuncInfoLayout.size + FuncInfoLayout.type_id, record.typeId, true);
      });
      attr.view.setUint32(ProgLoadAttr.prog_btf_fd, spec.btf.btfFd, true);
      attr.view.setUint32(ProgLoadAttr.func_info_rec_size, FuncInfoLayout.size, true);
      setPointer(attr, ProgLoadAttr.func_info, records);
      attr.view.setUint32(ProgLoadAttr.func_info_cnt, spec.btf.funcInfo.length, true);
      const lines = spec.btf.lineInfo ?? [];
      if (lines.length > 0) {
        const table = arena.alloc(lines.length * LineInfoLayout.size);
        lines.forEach((record, i) => {
          const at = i * LineInfoLayout.size;
          table.view.setUint32(at + LineInfoLayout.insn_off, record.insnOff, true);
          table.view.setUint32(at + LineInfoLayout.file_name_off, record.fileNameOff, true);
          table.view.setUint32(at + LineInfoLayout.line_off, record.lineOff, true);
          table.view.setUint32(at + LineInfoLayout.line_col, ((record.line << LINE_COL_SHIFT) | (record.column & COLUMN_MASK)) >>> 0, true);
        });
        attr.view.setUint32(ProgLoadAttr.line_info_rec_size, LineInfoLayout.size, true);
        setPointer(attr, ProgLoadAttr.line_info, table);
        attr.view.setUint32(ProgLoadAttr.line_info_cnt, lines.length, true);
      }
    }
    const outcome = invoke(native, { cmd: BpfCmd.PROG_LOAD, attrSize: ProgLoadAttr.size }, attr);
    return {
      outcome,
      log: log === undefined ? "" : readCString(log.bytes),
      logTrueSize: attr.view.getUint32(ProgLoadAttr.log_true_size, true),
    };
  });
}
