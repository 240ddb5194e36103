// One bpf() command: an attr block filled by the caller, the syscall, and
// either the non-negative result or the errno. Native memory used by the
// command lives in an arena that is freed whatever happens.
import { Errno } from "../maps/errno.ts";
import { KernelError, type KernelErrorDetails } from "./kernel-error.ts";
import { NativeArena, type Native, type NativeBlock } from "./native.ts";
import { BPF_OBJ_NAME_LEN, BpfCmd, PROG_LOAD_ATTEMPTS } from "./uapi.ts";

export type BpfOutcome = { readonly ok: true; readonly result: number } | { readonly ok: false; readonly errno: number };

export interface BpfCommand {
  readonly cmd: number;
  readonly attrSize: number;
}

// Runs `body` with a fresh arena; `body` fills the attr, calls `invoke`, reads the outputs.
export function withArena<T>(native: Native, body: (arena: NativeArena) => T): T {
  const arena = new NativeArena(native);
  try {
    return body(arena);
  } finally {
    arena.freeAll();
  }
}

// Every bpf() command goes through here. The kernel answers BPF_PROG_LOAD with EAGAIN when the
// verifier was interrupted by a signal; libbpf then issues the same load again, PROG_LOAD_ATTEMPTS
// (5) times in all (tools/lib/bpf/bpf.c, sys_bpf_prog_load). It retries no other command on EAGAIN.
export function invoke(native: Native, command: BpfCommand, attr: NativeBlock): BpfOutcome {
  return withEagainRetries(command.cmd, () => {
    const { result, errno } = native.bpf(command.cmd, attr, command.attrSize);
    return result >= 0 ? { ok: true, result } : { ok: false, errno };
  });
}

// How many times libbpf issues a command that keeps failing with EAGAIN (1: no retry).
export function eagainAttempts(cmd: number): number {
  return cmd === BpfCmd.PROG_LOAD ? PROG_LOAD_ATTEMPTS : 1;
}

// Calls `syscall` until it succeeds, fails with another errno, or the command's attempts are used up.
export function withEagainRetries(cmd: number, syscall: () => BpfOutcome): BpfOutcome {
  const attempts = eagainAttempts(cmd);
  let outcome = syscall();
  for (let attempt = 1; attempt < attempts && !outcome.ok && outcome.errno === Errno.EAGAIN; attempt++) outcome = syscall();
  return outcome;
}

// What the kernel is known to require when it answers a command with EINVAL, which says nothing by itself.
export interface FailureContext extends Omit<KernelErrorDetails, "errno" | "hint"> {
  readonly einvalHint?: string;
}

// The result of a command that must succeed, or a KernelError describing the failure.
export function expectOk(outcome: BpfOutcome, context: FailureContext): number {
  if (outcome.ok) return outcome.result;
  const { einvalHint, ...details } = context;
  throw new KernelError({ ...details, errno: outcome.errno, hint: outcome.errno === Errno.EINVAL ? einvalHint : undefined });
}

// Writes a pointer field: the block's address, or NULL for an absent block.
// Multi-byte fields are little-endian: both supported ABIs (x86_64, aarch64) are.
export function setPointer(attr: NativeBlock, offset: number, block: NativeBlock | undefined): void {
  attr.view.setBigUint64(offset, block === undefined ? 0n : block.address, true);
}

// The name the kernel will accept for a map or program: it allows only
// letters, digits, '_' and '.' and at most BPF_OBJ_NAME_LEN - 1 bytes
// (kernel/bpf/syscall.c, bpf_obj_name_cpy); anything else becomes '_'.
export function kernelObjectName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, "_").slice(0, BPF_OBJ_NAME_LEN - 1);
}

// Writes a name already made acceptable by kernelObjectName into a char[BPF_OBJ_NAME_LEN] field.
export function setObjectName(attr: NativeBlock, offset: number, kernelName: string): void {
  attr.bytes.set(new TextEncoder().encode(kernelName), offset);
}

// Reads a NUL-terminated string from native memory.
export function readCString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}
