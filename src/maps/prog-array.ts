// BPF_MAP_TYPE_PROG_ARRAY (kernel/bpf/arraymap.c, the fd array ops): slots
// hold program indexes for bpf_tail_call. The syscall side writes a u32
// (the kernel's program fd; here the simulator's program index) with
// BPF_ANY only (other flags EINVAL), E2BIG past the end; a lookup answers
// the stored index (the kernel answers the program id) or ENOENT; a delete
// of an empty slot is ENOENT, past the end E2BIG. A program cannot look up,
// update or delete a prog_array (the verifier refuses); those calls answer
// as the kernel's map ops would: a miss, EINVAL, and the delete above.

import { readU32, u32Bytes } from "./bytes.ts";
import { Errno } from "./errno.ts";
import { SlotArray } from "./slot-array.ts";
import { UpdateFlag } from "./types.ts";
import type { Errno as ErrnoValue, MapEntry, SimMap } from "./types.ts";

export class ProgArrayMap extends SlotArray<number> implements SimMap {
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

  tailCallTarget(index: number): number | undefined {
    return index < this.def.maxEntries ? this.slots[index] : undefined;
  }

  sysLookup(key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    const program = this.slotAt(key);
    return program === undefined ? -Errno.ENOENT : u32Bytes(program);
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
    return this.occupied().map(([index, program]) => ({ key: u32Bytes(index), value: u32Bytes(program) }));
  }

  clone(): ProgArrayMap {
    return new ProgArrayMap(this.def, this.cpus, this.slots.slice());
  }
}
