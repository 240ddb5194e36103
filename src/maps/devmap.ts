// BPF_MAP_TYPE_DEVMAP and BPF_MAP_TYPE_DEVMAP_HASH (kernel/bpf/devmap.c):
// the devices bpf_redirect_map sends packets to. A value is a u32 ifindex,
// optionally followed by an s32 program fd to run on the device (value size
// 4 or 8, struct bpf_devmap_val). Where the kernel checks that the ifindex
// names a device (EINVAL otherwise), the simulator accepts any non-zero
// ifindex, or only those in the `netdevs` list when one is given; a program
// fd > 0 is stored as given (the kernel would load the program and answer its
// id on lookup).
// devmap: index keys below max_entries (E2BIG beyond); BPF_NOEXIST is always
//   EEXIST, BPF_EXIST is not checked; ifindex 0 empties the slot (EINVAL if a
//   program fd > 0 comes with it); delete always succeeds below max_entries
//   (EINVAL beyond); get_next_key visits every index.
// devmap_hash: any u32 key, at most max_entries of them (E2BIG); BPF_NOEXIST
//   on a present key is EEXIST, BPF_EXIST is not checked; ifindex 0 is
//   EINVAL; delete of an absent key is ENOENT; buckets are key & (n - 1).

import { MapBase } from "./base.ts";
import { compareBytes, readU32, u32Bytes } from "./bytes.ts";
import { Errno } from "./errno.ts";
import { HashBuckets } from "./hash-table.ts";
import { SlotArray } from "./slot-array.ts";
import { UpdateFlag } from "./types.ts";
import type { Errno as ErrnoValue, MapDef, MapEntry, RedirectTarget, SimMap } from "./types.ts";

// What a devmap slot holds: the value bytes as the syscall side reads them back.
interface DevSlot {
  readonly ifindex: number;
  readonly programFd: number;
  readonly bytes: Uint8Array;
}

// The devmap value in its two sizes: the ifindex, then the program fd (absent: -1).
function parseDevValue(value: Uint8Array, valueSize: number): { ifindex: number; programFd: number } {
  const view = new DataView(value.buffer, value.byteOffset, valueSize);
  return { ifindex: view.getUint32(0, true), programFd: valueSize >= 8 ? view.getInt32(4, true) : -1 };
}

// __dev_map_alloc_node's checks: the device must exist; the stored value carries the program (0: none).
function makeDevSlot(ifindex: number, programFd: number, valueSize: number, netdevs: ReadonlySet<number> | undefined): DevSlot | ErrnoValue {
  if (ifindex === 0 || (netdevs !== undefined && !netdevs.has(ifindex))) return -Errno.EINVAL;
  const program = programFd > 0 ? programFd : 0;
  const bytes = new Uint8Array(valueSize);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, ifindex, true);
  if (valueSize >= 8) view.setUint32(4, program, true);
  return { ifindex, programFd: program, bytes };
}

function deviceTarget(slot: DevSlot | undefined): RedirectTarget | undefined {
  return slot === undefined ? undefined : { kind: "device", ifindex: slot.ifindex, programFd: slot.programFd };
}

export class DevMap extends SlotArray<DevSlot> implements SimMap {
  private readonly netdevs: ReadonlySet<number> | undefined;

  constructor(def: MapDef, cpus: number, netdevs: ReadonlySet<number> | undefined, slots?: (DevSlot | undefined)[]) {
    super(def, cpus, slots);
    this.netdevs = netdevs;
  }

  lookup(key: Uint8Array, _cpu: number): Uint8Array | undefined {
    return this.slotAt(key)?.bytes;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, _cpu: number): ErrnoValue {
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    const index = this.indexOf(key);
    if (index >= this.def.maxEntries) return -Errno.E2BIG;
    if (flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    const { ifindex, programFd } = parseDevValue(this.valueOf(value, this.def.valueSize), this.def.valueSize);
    if (ifindex === 0) {
      if (programFd > 0) return -Errno.EINVAL;
      this.slots[index] = undefined;
      return 0;
    }
    const slot = makeDevSlot(ifindex, programFd, this.def.valueSize, this.netdevs);
    if (typeof slot === "number") return slot;
    this.slots[index] = slot;
    return 0;
  }

  delete(key: Uint8Array): ErrnoValue {
    const index = this.indexOf(key);
    if (index >= this.def.maxEntries) return -Errno.EINVAL;
    this.slots[index] = undefined;
    return 0;
  }

  redirectTarget(key: number): RedirectTarget | undefined {
    return key < this.def.maxEntries ? deviceTarget(this.slots[key]) : undefined;
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

  clone(): DevMap {
    return new DevMap(this.def, this.cpus, this.netdevs, this.slots.slice());
  }
}

// dev_map_index_hash: the key itself picks the bucket.
function devKeyHash(key: Uint8Array): number {
  return readU32(key);
}

export class DevMapHash extends MapBase implements SimMap {
  private readonly netdevs: ReadonlySet<number> | undefined;
  private readonly table: HashBuckets<DevSlot>;

  constructor(def: MapDef, cpus: number, netdevs: ReadonlySet<number> | undefined, table?: HashBuckets<DevSlot>) {
    super(def, cpus);
    this.netdevs = netdevs;
    this.table = table ?? new HashBuckets<DevSlot>(def.maxEntries, devKeyHash);
  }

  lookup(key: Uint8Array, _cpu: number): Uint8Array | undefined {
    return this.table.find(this.keyOf(key))?.payload.bytes;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, _cpu: number): ErrnoValue {
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    const wanted = this.keyOf(key);
    const old = this.table.find(wanted);
    if (old !== undefined && (flags & UpdateFlag.NOEXIST) !== 0) return -Errno.EEXIST;
    const { ifindex, programFd } = parseDevValue(this.valueOf(value, this.def.valueSize), this.def.valueSize);
    const slot = makeDevSlot(ifindex, programFd, this.def.valueSize, this.netdevs);
    if (typeof slot === "number") return slot;
    if (old !== undefined) this.table.remove(old);
    else if (this.table.count >= this.def.maxEntries) return -Errno.E2BIG;
    this.table.insertHead(wanted, slot);
    return 0;
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

  redirectTarget(key: number): RedirectTarget | undefined {
    return deviceTarget(this.table.find(u32Bytes(key))?.payload);
  }

  sysLookup(key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    return this.table.find(this.keyOf(key))?.payload.bytes.slice() ?? -Errno.ENOENT;
  }

  sysUpdate(key: Uint8Array | undefined, value: Uint8Array, flags: number): ErrnoValue {
    const denied = this.sysUpdateDenied(flags);
    return denied !== 0 ? denied : this.update(this.keyOf(key), value, flags, 0);
  }

  sysDelete(key: Uint8Array | undefined): ErrnoValue {
    const denied = this.sysWriteDenied();
    return denied !== 0 ? denied : this.delete(this.keyOf(key));
  }

  sysGetNextKey(key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    return this.getNextKey(key) ?? -Errno.ENOENT;
  }

  sysLookupAndDelete(key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    this.keyOf(key);
    return -Errno.ENOTSUPP;
  }

  entries(): readonly MapEntry[] {
    return this.table
      .all()
      .map((elem) => ({ key: elem.key.slice(), value: elem.payload.bytes.slice() }))
      .sort((a, b) => compareBytes(a.key, b.key));
  }

  clone(): DevMapHash {
    return new DevMapHash(this.def, this.cpus, this.netdevs, this.table.cloneWith((slot) => slot));
  }
}
