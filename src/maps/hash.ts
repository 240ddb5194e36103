// BPF_MAP_TYPE_HASH and BPF_MAP_TYPE_PERCPU_HASH (kernel/bpf/hashtab.c).
// At most max_entries elements: inserting a new key into a full map is E2BIG
// (replacing an existing key still works). BPF_NOEXIST on a present key is
// EEXIST, BPF_EXIST on an absent one ENOENT, any other flag EINVAL (BPF_F_LOCK
// too: the simulator has no bpf_spin_lock values). Replacing a key in a plain
// hash puts a fresh element at the head of its bucket, so a view the program
// held on the old value no longer sees the map (as in the kernel, where the
// old element is recycled); a per-CPU hash updates in place. A per-CPU
// element created by a program gets its value on that CPU and zeros on the
// others (pcpu_init_value).

import { MapBase } from "./base.ts";
import { compareBytes } from "./bytes.ts";
import { Errno } from "./errno.ts";
import { HashBuckets } from "./hash-table.ts";
import { jhash } from "./jhash.ts";
import { UpdateFlag } from "./types.ts";
import type { Errno as ErrnoValue, KeyWatcher, MapDef, MapEntry, SimMap } from "./types.ts";
import { ValueSlots } from "./value-slots.ts";

// The simulator's seed: the kernel's BPF_F_ZERO_SEED value, used for every hash map.
export const HASH_SEED = 0;

// htab_map_hash: jhash of the key bytes.
export function hashMapHash(key: Uint8Array): number {
  return jhash(key, HASH_SEED);
}

// check_flags() of hashtab.c: 0, -EEXIST or -ENOENT.
export function presenceError(present: boolean, flags: number): ErrnoValue {
  const mode = flags & ~UpdateFlag.F_LOCK;
  if (present && mode === UpdateFlag.NOEXIST) return -Errno.EEXIST;
  if (!present && mode === UpdateFlag.EXIST) return -Errno.ENOENT;
  return 0;
}

export class HashMap extends MapBase implements SimMap {
  private readonly perCpu: boolean;
  private readonly table: HashBuckets<ValueSlots>;

  constructor(def: MapDef, cpus: number, perCpu: boolean, table?: HashBuckets<ValueSlots>) {
    super(def, cpus);
    this.perCpu = perCpu;
    this.table = table ?? new HashBuckets<ValueSlots>(def.maxEntries, hashMapHash);
  }

  private newSlots(): ValueSlots {
    return new ValueSlots(this.def.valueSize, this.cpus, this.perCpu);
  }

  lookup(key: Uint8Array, cpu: number): Uint8Array | undefined {
    return this.table.find(this.keyOf(key))?.payload.view(cpu);
  }

  // `cpu` undefined means the syscall side, writing every CPU of a per-CPU value.
  private write(key: Uint8Array, value: Uint8Array, flags: number, cpu: number | undefined): ErrnoValue {
    // Unknown flags, and BPF_F_LOCK (it needs a bpf_spin_lock field in the value's BTF): EINVAL.
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    const wanted = this.keyOf(key);
    const old = this.table.find(wanted);
    const error = presenceError(old !== undefined, flags);
    if (error !== 0) return error;
    const allCpus = cpu === undefined && this.perCpu;
    const input = this.valueOf(value, allCpus ? this.cpus * this.perCpuSlotBytes : this.def.valueSize);
    if (old !== undefined && this.perCpu) {
      if (allCpus) old.payload.writeAll(input);
      else old.payload.writeOne(cpu ?? 0, input);
      return 0;
    }
    if (old === undefined && this.table.count >= this.def.maxEntries) return -Errno.E2BIG;
    const slots = this.newSlots();
    if (allCpus) slots.writeAll(input);
    else slots.writeOne(cpu ?? 0, input);
    this.table.insertHead(wanted, slots);
    if (old !== undefined) this.table.remove(old);
    return 0;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): ErrnoValue {
    return this.write(key, value, flags, cpu);
  }

  delete(key: Uint8Array): ErrnoValue {
    const elem = this.table.find(this.keyOf(key));
    if (elem === undefined) return -Errno.ENOENT;
    this.table.remove(elem);
    return 0;
  }

  getNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    return this.table.nextKey(key === undefined ? undefined : this.keyOf(key));
  }

  sysLookup(key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    const denied = this.sysReadDenied();
    if (denied !== 0) return denied;
    const elem = this.table.find(this.keyOf(key));
    return elem === undefined ? -Errno.ENOENT : elem.payload.readAll();
  }

  sysUpdate(key: Uint8Array | undefined, value: Uint8Array, flags: number): ErrnoValue {
    const denied = this.sysUpdateDenied(flags);
    if (denied !== 0) return denied;
    return this.write(this.keyOf(key), value, flags, this.perCpu ? undefined : 0);
  }

  sysDelete(key: Uint8Array | undefined): ErrnoValue {
    const denied = this.sysWriteDenied();
    if (denied !== 0) return denied;
    return this.delete(this.keyOf(key));
  }

  sysGetNextKey(key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    return this.getNextKey(key) ?? -Errno.ENOENT;
  }

  sysLookupAndDelete(key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    const denied = this.sysWriteDenied();
    if (denied !== 0) return denied;
    const elem = this.table.find(this.keyOf(key));
    if (elem === undefined) return -Errno.ENOENT;
    this.table.remove(elem);
    return elem.payload.readAll();
  }

  entries(): readonly MapEntry[] {
    return sortedEntries(this.table, this.perCpu);
  }

  get keyWatcher(): KeyWatcher | undefined {
    return this.table.keyWatcher;
  }

  set keyWatcher(watcher: KeyWatcher | undefined) {
    this.table.keyWatcher = watcher;
  }

  clone(): HashMap {
    return new HashMap(this.def, this.cpus, this.perCpu, this.table.cloneWith((slots) => slots.clone()));
  }
}

export function sortedEntries(table: HashBuckets<ValueSlots> | HashBuckets<{ slots: ValueSlots }>, perCpu: boolean): MapEntry[] {
  const entries = table.all().map((elem): MapEntry => {
    const slots = elem.payload instanceof ValueSlots ? elem.payload : elem.payload.slots;
    return perCpu ? { key: elem.key.slice(), perCpu: slots.perCpuCopies() } : { key: elem.key.slice(), value: slots.view(0).slice() };
  });
  return entries.sort((a, b) => compareBytes(a.key, b.key));
}
