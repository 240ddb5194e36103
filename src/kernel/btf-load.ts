// BPF_BTF_LOAD: hand the kernel a raw BTF blob (an object's .BTF section) so
// that maps and programs can refer to its types (map key/value types, func info).
import { BtfLoadAttr } from "./attr-layout.ts";
import { invoke, readCString, setPointer, withArena } from "./bpf-call.ts";
import { KernelError } from "./kernel-error.ts";
import type { Native } from "./native.ts";
import { Errno } from "../maps/errno.ts";
import { BpfCmd, LogLevel, MAX_LOG_BYTES } from "./uapi.ts";

// The BTF checker's log for a rejected blob is short: it stops at the first bad type. A log
// that still does not fit (ENOSPC) is doubled, as libbpf's btf_load_into_kernel does.
const BTF_LOG_BYTES = 1 << 20;

export function loadBtfFd(native: Native, blob: Uint8Array, label: string): number {
  const first = loadOnce(native, blob, 0);
  if (first.ok) return first.fd;
  // Load again with a log, only to explain the failure.
  let logBytes = BTF_LOG_BYTES;
  for (;;) {
    const attempt = loadOnce(native, blob, logBytes);
    if (attempt.ok) return attempt.fd;
    if (attempt.errno !== Errno.ENOSPC || logBytes >= MAX_LOG_BYTES) {
      throw new KernelError({ command: "BPF_BTF_LOAD", object: label, errno: attempt.errno, verifierLog: attempt.log });
    }
    logBytes = Math.min(MAX_LOG_BYTES, Math.max(attempt.logTrueSize, logBytes * 2));
  }
}

// Whether the kernel accepts `blob`, closing the BTF object it makes (a feature probe).
export function kernelAcceptsBtf(native: Native, blob: Uint8Array): boolean {
  const attempt = loadOnce(native, blob, 0);
  if (attempt.ok) native.close(attempt.fd);
  return attempt.ok;
}

type BtfAttempt =
  | { readonly ok: true; readonly fd: number }
  | { readonly ok: false; readonly errno: number; readonly log: string; readonly logTrueSize: number };

function loadOnce(native: Native, blob: Uint8Array, logBytes: number): BtfAttempt {
  return withArena(native, (arena) => {
    const attr = arena.alloc(BtfLoadAttr.size);
    const log = logBytes > 0 ? arena.alloc(logBytes) : undefined;
    setPointer(attr, BtfLoadAttr.btf, arena.copyOf(blob));
    attr.view.setUint32(BtfLoadAttr.btf_size, blob.length, true);
    setPointer(attr, BtfLoadAttr.btf_log_buf, log);
    attr.view.setUint32(BtfLoadAttr.btf_log_size, log?.byteLength ?? 0, true);
    attr.view.setUint32(BtfLoadAttr.btf_log_level, log === undefined ? LogLevel.OFF : LogLevel.BASIC, true);
    const outcome = invoke(native, { cmd: BpfCmd.BTF_LOAD, attrSize: BtfLoadAttr.size }, attr);
    if (outcome.ok) return { ok: true, fd: outcome.result };
    return {
      ok: false,
      errno: outcome.errno,
      log: log === undefined ? "" : readCString(log.bytes),
      logTrueSize: attr.view.getUint32(BtfLoadAttr.btf_log_true_size, true),
    };
  });
}
