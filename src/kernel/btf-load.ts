// BPF_BTF_LOAD: hand the kernel a raw BTF blob (an object's .BTF section) so
// that programs can refer to its types (func info for subprograms).
import { BtfLoadAttr } from "./attr-layout.ts";
import { invoke, readCString, setPointer, withArena } from "./bpf-call.ts";
import { KernelError } from "./kernel-error.ts";
import type { Native } from "./native.ts";
import { BpfCmd, LogLevel } from "./uapi.ts";

// The BTF checker's log for a rejected blob is short: it stops at the first bad type.
const BTF_LOG_BYTES = 1 << 20;

export function loadBtfFd(native: Native, blob: Uint8Array, label: string): number {
  const first = loadOnce(native, blob, false);
  if (first.ok) return first.fd;
  // Load again with a log, only to explain the failure.
  const second = loadOnce(native, blob, true);
  if (second.ok) return second.fd;
  throw new KernelError({ command: "BPF_BTF_LOAD", object: label, errno: second.errno, verifierLog: second.log });
}

type BtfAttempt = { readonly ok: true; readonly fd: number } | { readonly ok: false; readonly errno: number; readonly log: string };

function loadOnce(native: Native, blob: Uint8Array, withLog: boolean): BtfAttempt {
  return withArena(native, (arena) => {
    const attr = arena.alloc(BtfLoadAttr.size);
    const log = withLog ? arena.alloc(BTF_LOG_BYTES) : undefined;
    setPointer(attr, BtfLoadAttr.btf, arena.copyOf(blob));
    attr.view.setUint32(BtfLoadAttr.btf_size, blob.length, true);
    setPointer(attr, BtfLoadAttr.btf_log_buf, log);
    attr.view.setUint32(BtfLoadAttr.btf_log_size, log?.byteLength ?? 0, true);
    attr.view.setUint32(BtfLoadAttr.btf_log_level, log === undefined ? LogLevel.OFF : LogLevel.BASIC, true);
    const outcome = invoke(native, { cmd: BpfCmd.BTF_LOAD, attrSize: BtfLoadAttr.size }, attr);
    if (outcome.ok) return { ok: true, fd: outcome.result };
    return { ok: false, errno: outcome.errno, log: log === undefined ? "" : readCString(log.bytes) };
  });
}
