// BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY (kernel/bpf/arraymap.c).
// Every index below max_entries exists from creation, zero-filled; values sit
// in one preallocated buffer, each slot value_size rounded up to 8 bytes as
// the kernel's elem_size, so a lookup's view stays valid for the map's life.
// Updates never fail for a present index except with BPF_NOEXIST (EEXIST);
// an index past the end is E2BIG on update and a miss on lookup; deletes
// are EINVAL. A per-CPU array has one slot per simulated CPU per index.

import { MapBase } from "./base.ts";
import { readU32, u32Bytes } from "./bytes.ts";
import { Errno } from "./errno.ts";
import { UpdateFlag } from "./types.ts";
import type { Errno as ErrnoValue, MapDef, MapEntry, SimMap } from "./types.ts";

// Slots whose views are kept (a bound on what the cache holds for very large arrays).
const CACHED_VIEWS = 1 << 16;

export class ArrayMap extends MapBase implements SimMap {
  private readonly perCpu: boolean;
  private readonly slotBytes: number;
  private readonly storage: Uint8Array;

  constructor(def: MapDef, cpus: number, perCpu: boolean, storage?: Uint8Array) {
    super(def, cpus);
    this.perCpu = perCpu;
    this.slotBytes = this.perCpuSlotBytes;
    const slots = def.maxEntries * (perCpu ? cpus : 1);
    this.storage = storage ?? new Uint8Array(slots * this.slotBytes);
    // .data/.rodata/.bss maps start with the object's bytes in element 0.
    if (storage === undefined && def.initialValue !== undefined) {
      this.storage.set(def.initialValue.subarray(0, def.valueSize));
    }
  }

  private slotOffset(index: number, cpu: number): number {
    const cpuSlot = this.perCpu ? cpu : 0;
    return (index * (this.perCpu ? this.cpus : 1) + cpuSlot) * this.slotBytes;
  }

  // The same view object for a slot on every call, for the first CACHED_VIEWS slots (a typed-array view costs an allocation).
  private readonly views: (Uint8Array | undefined)[] = [];

  private view(index: number, cpu: number): Uint8Array {
    const offset = this.slotOffset(index, cpu);
    const slot = offset / this.slotBytes;
    const known = slot < CACHED_VIEWS ? this.views[slot] : undefined;
    if (known !== undefined) return known;
    const made = this.storage.subarray(offset, offset + this.def.valueSize);
    if (slot < CACHED_VIEWS) this.views[slot] = made;
    return made;
  }

  private indexOf(key: Uint8Array | undefined): number {
    return readU32(this.keyOf(key));
  }

  lookup(key: Uint8Array, cpu: number): Uint8Array | undefined {
    const index = this.indexOf(key);
    if (index >= this.def.maxEntries) return undefined;
    return this.view(index, cpu);
  }

  // Shared checks of array_map_update_elem / bpf_percpu_array_update.
  private updateError(index: number, flags: number): ErrnoValue {
    // BPF_F_LOCK needs a bpf_spin_lock in the value, which the simulator does not model: EINVAL.
    if ((flags & ~UpdateFlag.F_LOCK) > UpdateFlag.EXIST) return -Errno.EINVAL;
    if (index >= this.def.maxEntries) return -Errno.E2BIG;
    if ((flags & UpdateFlag.NOEXIST) !== 0) return -Errno.EEXIST;
    if ((flags & UpdateFlag.F_LOCK) !== 0) return -Errno.EINVAL;
    return 0;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): ErrnoValue {
    const index = this.indexOf(key);
    const error = this.updateError(index, flags);
    if (error !== 0) return error;
    this.view(index, cpu).set(this.valueOf(value, this.def.valueSize));
    return 0;
  }

  delete(key: Uint8Array): ErrnoValue {
    this.keyOf(key);
    return -Errno.EINVAL;
  }

  getNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const next = this.sysGetNextKey(key);
    return typeof next === "number" ? undefined : next;
  }

  sysLookup(key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    const denied = this.sysReadDenied();
    if (denied !== 0) return denied;
    const index = this.indexOf(key);
    if (index >= this.def.maxEntries) return -Errno.ENOENT;
    if (!this.perCpu) return this.view(index, 0).slice();
    const start = this.slotOffset(index, 0);
    return this.storage.slice(start, start + this.cpus * this.slotBytes);
  }

  sysUpdate(key: Uint8Array | undefined, value: Uint8Array, flags: number): ErrnoValue {
    const denied = this.sysUpdateDenied(flags);
    if (denied !== 0) return denied;
    const index = this.indexOf(key);
    if (!this.perCpu) return this.update(this.keyOf(key), value, flags, 0);
    const error = this.updateError(index, flags);
    if (error !== 0) return error;
    // Each CPU's part is value_size rounded up to 8, padding included (copy_map_value_long).
    this.storage.set(this.valueOf(value, this.cpus * this.slotBytes), this.slotOffset(index, 0));
    return 0;
  }

  sysDelete(key: Uint8Array | undefined): ErrnoValue {
    const denied = this.sysWriteDenied();
    if (denied !== 0) return denied;
    return this.delete(this.keyOf(key));
  }

  sysGetNextKey(key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    // No key, or one past the end, restarts at index 0.
    const index = key === undefined ? 0xffff_ffff : this.indexOf(key);
    if (index >= this.def.maxEntries) return u32Bytes(0);
    if (index === this.def.maxEntries - 1) return -Errno.ENOENT;
    return u32Bytes(index + 1);
  }

  sysLookupAndDelete(key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    this.keyOf(key);
    return -Errno.ENOTSUPP;
  }

  entries(): readonly MapEntry[] {
    const list: MapEntry[] = [];
    for (let index = 0; index < this.def.maxEntries; index++) {
      if (this.perCpu) {
        const perCpu = Array.from({ length: this.cpus }, (_, cpu) => this.view(index, cpu).slice());
        list.push({ key: u32Bytes(index), perCpu });
      } else {
        list.push({ key: u32Bytes(index), value: this.view(index, 0).slice() });
      }
    }
    return list;
  }

  // Every slot's bytes as stored (value_size rounded up to 8, per-CPU slots side by side): a live view, not a copy.
  storedBytes(): Uint8Array {
    return this.storage;
  }

  clone(): ArrayMap {
    return new ArrayMap(this.def, this.cpus, this.perCpu, this.storage.slice());
  }
}
