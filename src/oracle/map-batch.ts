// BPF_MAP_LOOKUP_BATCH (Linux 5.6+, kernel/bpf/syscall.c): a whole hash or
// array map read in one or a few syscalls, where get_next_key + lookup
// would take two per entry. The differential check reads every map after
// every packet, so this is what keeps it fast. Map kinds without a batch
// operation answer EINVAL/ENOTSUPP/EOPNOTSUPP; the caller then reads them
// key by key.
//
// union bpf_attr, the batch member (include/uapi/linux/bpf.h):
//   __aligned_u64 in_batch, out_batch, keys, values; __u32 count, map_fd; __u64 elem_flags, flags;
import { expectOk, invoke, setPointer, withArena } from "../kernel/bpf-call.ts";
import type { Native } from "../kernel/native.ts";
import type { KernelMap } from "../kernel/session.ts";
import { Errno } from "../maps/errno.ts";

const MAP_LOOKUP_BATCH = 24;
const BatchAttr = { in_batch: 0, out_batch: 8, keys: 16, values: 24, count: 32, map_fd: 36, elem_flags: 40, flags: 48, size: 56 } as const;
// The batch cursor: a u32 bucket for hash maps, a key for arrays (generic_map_lookup_batch).
const MIN_CURSOR_BYTES = 8;
// Entries asked for per call; a hash bucket longer than this answers ENOSPC and is retried with more.
const DEFAULT_BATCH_ENTRIES = 4096;

// Every entry: `count` keys back to back, and their values as the syscall gives them
// (per-CPU maps: every CPU's value, each rounded up to 8 bytes), in the kernel's order.
export interface RawEntries {
  readonly count: number;
  readonly keys: Uint8Array;
  readonly values: Uint8Array;
}

// Every entry, or undefined when the map kind has no batch lookup.
export function lookupBatch(native: Native, map: KernelMap): RawEntries | undefined {
  const keySize = map.def.keySize;
  const valueBytes = map.shape.syscallValueBytes;
  const keyParts: Uint8Array[] = [];
  const valueParts: Uint8Array[] = [];
  let total = 0;
  let perCall = Math.max(1, Math.min(map.def.maxEntries, DEFAULT_BATCH_ENTRIES));
  let cursor: Uint8Array | undefined;
  for (;;) {
    const outcome = withArena(native, (arena) => {
      const attr = arena.alloc(BatchAttr.size);
      const cursorBytes = Math.max(MIN_CURSOR_BYTES, keySize);
      const inBatch = cursor === undefined ? undefined : arena.copyOf(cursor);
      const outBatch = arena.alloc(cursorBytes);
      const keys = arena.alloc(keySize * perCall);
      const values = arena.alloc(valueBytes * perCall);
      setPointer(attr, BatchAttr.in_batch, inBatch);
      setPointer(attr, BatchAttr.out_batch, outBatch);
      setPointer(attr, BatchAttr.keys, keys);
      setPointer(attr, BatchAttr.values, values);
      attr.view.setUint32(BatchAttr.count, perCall, true);
      attr.view.setUint32(BatchAttr.map_fd, map.fd, true);
      const result = invoke(native, { cmd: MAP_LOOKUP_BATCH, attrSize: BatchAttr.size }, attr);
      // The kernel writes back how many entries it copied when it gets that far (success, ENOENT at the end, ENOSPC).
      const answered = result.ok || result.errno === Errno.ENOENT || result.errno === Errno.ENOSPC;
      const count = answered ? attr.view.getUint32(BatchAttr.count, true) : 0;
      return { result, count, keys: keys.bytes.slice(0, count * keySize), values: values.bytes.slice(0, count * valueBytes), next: outBatch.bytes.slice() };
    });
    keyParts.push(outcome.keys);
    valueParts.push(outcome.values);
    total += outcome.count;
    if (outcome.result.ok) {
      cursor = outcome.next;
      continue;
    }
    const errno = outcome.result.errno;
    if (errno === Errno.ENOENT) return { count: total, keys: joined(keyParts), values: joined(valueParts) };
    if (errno === Errno.ENOSPC && outcome.count === 0) {
      perCall *= 2;
      continue;
    }
    if (total === 0 && (errno === Errno.EINVAL || errno === Errno.ENOTSUPP || errno === Errno.EOPNOTSUPP)) return undefined;
    expectOk(outcome.result, { command: "BPF_MAP_LOOKUP_BATCH", object: `map '${map.def.name}'` });
  }
}

function joined(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  return Uint8Array.from(Buffer.concat(parts));
}
