// BPF_MAP_TYPE_PERF_EVENT_ARRAY (kernel/bpf/arraymap.c fd array ops, and
// bpf_perf_event_output in kernel/trace/bpf_trace.c). Slots hold perf events
// that user space opens, one per CPU, and stores at the index of that CPU
// (as libbpf's perf_buffer does); the simulator stores an event number and
// takes the slot's index as the CPU the event belongs to. Output picks the
// slot from the flags' low 32 bits (all ones: the current CPU); past the end
// is E2BIG, an empty slot ENOENT, an event of another CPU EOPNOTSUPP, other
// flag bits EINVAL (the context-length bits are the helper's business).
// The syscall side: BPF_ANY only, lookup ENOTSUPP, delete like prog_array.

import { readU32, u32Bytes } from "./bytes.ts";
import { Errno } from "./errno.ts";
import { PERF_CTXLEN_MASK, PERF_CURRENT_CPU, PERF_INDEX_MASK } from "./flags.ts";
import { SlotArray } from "./slot-array.ts";
import { UpdateFlag } from "./types.ts";
import type { Errno as ErrnoValue, MapDef, MapEntry, SimMap } from "./types.ts";

export interface PerfRecord {
  readonly cpu: number;
  readonly data: Uint8Array;
}

export class PerfEventArrayMap extends SlotArray<number> implements SimMap {
  private readonly records: PerfRecord[];

  constructor(def: MapDef, cpus: number, slots?: (number | undefined)[], records: PerfRecord[] = []) {
    super(def, cpus, slots);
    this.records = records;
  }

  lookup(key: Uint8Array, _cpu: number): Uint8Array | undefined {
    this.keyOf(key);
    return undefined;
  }

  update(key: Uint8Array, _value: Uint8Array, _flags: number, _cpu: number): ErrnoValue {
    this.keyOf(key);
    return -Errno.EINVAL;
  }

  delete(key: Uint8Array): ErrnoValue {
    const index = this.indexOf(key);
    if (index >= this.def.maxEntries) return -Errno.E2BIG;
    if (this.slots[index] === undefined) return -Errno.ENOENT;
    this.slots[index] = undefined;
    return 0;
  }

  perfEventOutput(flags: bigint, data: Uint8Array, cpu: number): ErrnoValue {
    if ((flags & ~(PERF_INDEX_MASK | PERF_CTXLEN_MASK)) !== 0n) return -Errno.EINVAL;
    const selector = flags & PERF_INDEX_MASK;
    const index = selector === PERF_CURRENT_CPU ? cpu : Number(selector);
    if (index >= this.def.maxEntries) return -Errno.E2BIG;
    if (this.slots[index] === undefined) return -Errno.ENOENT;
    if (index !== cpu) return -Errno.EOPNOTSUPP;
    this.records.push({ cpu, data: data.slice() });
    return 0;
  }

  // Everything output so far, in order, and forgets it (what a perf buffer reader sees).
  drainRecords(): PerfRecord[] {
    return this.records.splice(0, this.records.length);
  }

  sysLookup(key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    this.keyOf(key);
    return -Errno.ENOTSUPP;
  }

  sysUpdate(key: Uint8Array | undefined, value: Uint8Array, flags: number): ErrnoValue {
    const denied = this.sysUpdateDenied(flags);
    if (denied !== 0) return denied;
    if (flags !== UpdateFlag.ANY) return -Errno.EINVAL;
    const index = this.indexOf(key);
    if (index >= this.def.maxEntries) return -Errno.E2BIG;
    this.slots[index] = readU32(this.valueOf(value, 4));
    return 0;
  }

  sysDelete(key: Uint8Array | undefined): ErrnoValue {
    const denied = this.sysWriteDenied();
    return denied !== 0 ? denied : this.delete(this.keyOf(key));
  }

  entries(): readonly MapEntry[] {
    return this.occupied().map(([index, event]) => ({ key: u32Bytes(index), value: u32Bytes(event) }));
  }

  clone(): PerfEventArrayMap {
    return new PerfEventArrayMap(this.def, this.cpus, this.slots.slice(), this.records.slice());
  }
}
