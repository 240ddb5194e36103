// BPF_MAP_TYPE_CPUMAP (kernel/bpf/cpumap.c): the CPUs bpf_redirect_map hands
// packets to. Key: a CPU number below max_entries; value: u32 queue size,
// optionally followed by an s32 program fd (struct bpf_cpumap_val, 4 or 8
// bytes). Update: EINVAL for unknown flags, E2BIG past max_entries, EEXIST
// for BPF_NOEXIST always, EOVERFLOW for a queue size above 16384, ENODEV for a
// CPU the machine does not have; queue size 0 empties the slot. Delete always
// succeeds below max_entries (EINVAL beyond). A program fd > 0 is stored as
// given (the kernel loads it and answers its id on lookup).

import { u32Bytes } from "./bytes.ts";
import { Errno } from "./errno.ts";
import { SlotArray } from "./slot-array.ts";
import { UpdateFlag } from "./types.ts";
import type { Errno as ErrnoValue, MapDef, MapEntry, RedirectTarget, SimMap } from "./types.ts";

// cpu_map_update_elem's sanity limit on the queue size.
export const CPUMAP_MAX_QUEUE_SIZE = 16384;

interface CpuSlot {
  readonly queueSize: number;
  readonly programFd: number;
  readonly bytes: Uint8Array;
}

export class CpuMap extends SlotArray<CpuSlot> implements SimMap {
  constructor(def: MapDef, cpus: number, slots?: (CpuSlot | undefined)[]) {
    super(def, cpus, slots);
  }

  lookup(key: Uint8Array, _cpu: number): Uint8Array | undefined {
    return this.slotAt(key)?.bytes;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, _cpu: number): ErrnoValue {
    const bytes = this.valueOf(value, this.def.valueSize);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const queueSize = view.getUint32(0, true);
    const programFd = this.def.valueSize >= 8 ? view.getInt32(4, true) : -1;
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    const cpu = this.indexOf(key);
    if (cpu >= this.def.maxEntries) return -Errno.E2BIG;
    if (flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    if (queueSize > CPUMAP_MAX_QUEUE_SIZE) return -Errno.EOVERFLOW;
    if (cpu >= this.cpus) return -Errno.ENODEV;
    if (queueSize === 0) {
      this.slots[cpu] = undefined;
      return 0;
    }
    const program = programFd > 0 ? programFd : 0;
    const stored = new Uint8Array(this.def.valueSize);
    const storedView = new DataView(stored.buffer);
    storedView.setUint32(0, queueSize, true);
    if (this.def.valueSize >= 8) storedView.setUint32(4, program, true);
    this.slots[cpu] = { queueSize, programFd: program, bytes: stored };
    return 0;
  }

  delete(key: Uint8Array): ErrnoValue {
    const cpu = this.indexOf(key);
    if (cpu >= this.def.maxEntries) return -Errno.EINVAL;
    this.slots[cpu] = undefined;
    return 0;
  }

  redirectTarget(key: number): RedirectTarget | undefined {
    const slot = key < this.def.maxEntries ? this.slots[key] : undefined;
    return slot === undefined ? undefined : { kind: "cpu", cpu: key, queueSize: slot.queueSize, programFd: slot.programFd };
  }

  sysLookup(key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    return this.slotAt(key)?.bytes.slice() ?? -Errno.ENOENT;
  }

  sysUpdate(key: Uint8Array | undefined, value: Uint8Array, flags: number): ErrnoValue {
    const denied = this.sysUpdateDenied(flags);
    return denied !== 0 ? denied : this.update(this.keyOf(key), value, flags, 0);
  }

  sysDelete(key: Uint8Array | undefined): ErrnoValue {
    const denied = this.sysWriteDenied();
    return denied !== 0 ? denied : this.delete(this.keyOf(key));
  }

  entries(): readonly MapEntry[] {
    return this.occupied().map(([index, slot]) => ({ key: u32Bytes(index), value: slot.bytes.slice() }));
  }

  clone(): CpuMap {
    return new CpuMap(this.def, this.cpus, this.slots.slice());
  }
}
