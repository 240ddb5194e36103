// BPF_MAP_TYPE_LRU_HASH and BPF_MAP_TYPE_LRU_PERCPU_HASH (kernel/bpf/hashtab.c
// with the eviction lists of lru-list.ts). An update first takes a node from
// the LRU lists, which may evict other elements (even the key being updated,
// and even when the update then fails its BPF_NOEXIST/BPF_EXIST check), and
// only then looks the key up; a failed update gives the node back. So a full
// LRU map never refuses a new key for lack of room. A program's lookup marks
// the element referenced (a second chance before eviction); a syscall lookup
// and bpf_for_each_map_elem's walk (readValue) do not. Replacing a key in a
// plain LRU hash inserts a new, referenced element; the per-CPU flavour
// updates in place and marks it referenced (and with BPF_EXIST takes no node
// at all).

import { MapBase } from "./base.ts";
import { Errno } from "./errno.ts";
import { MapFlag } from "./flags.ts";
import { HashBuckets } from "./hash-table.ts";
import type { HashElem } from "./hash-table.ts";
import { hashMapHash, presenceError, sortedEntries } from "./hash.ts";
import { LruLists } from "./lru-list.ts";
import type { LruNode } from "./lru-list.ts";
import { UpdateFlag } from "./types.ts";
import type { Errno as ErrnoValue, KeyWatcher, MapDef, MapEntry, SimMap } from "./types.ts";
import { ValueSlots } from "./value-slots.ts";

interface LruPayload {
  slots: ValueSlots;
  node: LruNode<LruElem> | undefined;
}
type LruElem = HashElem<LruPayload>;

export class LruHashMap extends MapBase implements SimMap {
  private readonly perCpu: boolean;
  private table: HashBuckets<LruPayload>;
  private lists: LruLists<LruElem>;

  constructor(def: MapDef, cpus: number, perCpu: boolean) {
    super(def, cpus);
    this.perCpu = perCpu;
    this.table = new HashBuckets<LruPayload>(def.maxEntries, hashMapHash);
    const perCpuLists = (def.flags & MapFlag.NO_COMMON_LRU) !== 0;
    this.lists = new LruLists<LruElem>(def.maxEntries, cpus, perCpuLists, (elem) => this.table.remove(elem));
  }

  lookup(key: Uint8Array, cpu: number): Uint8Array | undefined {
    const elem = this.table.find(this.keyOf(key));
    if (elem === undefined) return undefined;
    if (elem.payload.node !== undefined) this.lists.setRef(elem.payload.node);
    return elem.payload.slots.view(cpu);
  }

  // bpf_for_each_hash_elem walks the buckets and never calls htab_lru_map_lookup_elem, so no reference mark.
  readValue(key: Uint8Array, cpu: number): Uint8Array | undefined {
    return this.table.find(this.keyOf(key))?.payload.slots.view(cpu);
  }

  // `allCpus`: the syscall side of the per-CPU flavour, one rounded slot per CPU.
  private write(key: Uint8Array, value: Uint8Array, flags: number, cpu: number, allCpus: boolean): ErrnoValue {
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    const wanted = this.keyOf(key);
    const input = this.valueOf(value, allCpus ? this.cpus * this.perCpuSlotBytes : this.def.valueSize);
    return this.perCpu ? this.writePerCpu(wanted, input, flags, cpu, allCpus) : this.writePlain(wanted, input, flags, cpu);
  }

  // htab_lru_map_update_elem.
  private writePlain(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): ErrnoValue {
    const slots = new ValueSlots(this.def.valueSize, this.cpus, false);
    slots.writeOne(0, value);
    const payload: LruPayload = { slots, node: undefined };
    const elem = this.detachedElem(key, payload);
    const node = this.lists.popFree(cpu, elem);
    if (node === undefined) return -Errno.ENOMEM;
    const old = this.table.find(key);
    const error = presenceError(old !== undefined, flags);
    if (error !== 0) {
      this.lists.pushFree(node);
      return error;
    }
    const inserted = this.table.insertHead(key, payload);
    this.adopt(node, inserted);
    if (old !== undefined) {
      this.lists.setRef(node);
      this.table.remove(old);
      if (old.payload.node !== undefined) this.lists.pushFree(old.payload.node);
    }
    return 0;
  }

  // __htab_lru_percpu_map_update_elem.
  private writePerCpu(key: Uint8Array, value: Uint8Array, flags: number, cpu: number, allCpus: boolean): ErrnoValue {
    const payload: LruPayload = { slots: new ValueSlots(this.def.valueSize, this.cpus, true), node: undefined };
    const elem = this.detachedElem(key, payload);
    let node: LruNode<LruElem> | undefined;
    if (flags !== UpdateFlag.EXIST) {
      node = this.lists.popFree(cpu, elem);
      if (node === undefined) return -Errno.ENOMEM;
    }
    const old = this.table.find(key);
    const error = presenceError(old !== undefined, flags);
    if (error === 0 && old !== undefined) {
      if (old.payload.node !== undefined) this.lists.setRef(old.payload.node);
      if (allCpus) old.payload.slots.writeAll(value);
      else old.payload.slots.writeOne(cpu, value);
    } else if (error === 0 && node !== undefined) {
      if (allCpus) payload.slots.writeAll(value);
      else payload.slots.writeOne(cpu, value);
      this.adopt(node, this.table.insertHead(key, payload));
      node = undefined;
    }
    if (node !== undefined) this.lists.pushFree(node);
    return error;
  }

  // An element not yet in the table: the LRU node points at it until it is inserted.
  private detachedElem(key: Uint8Array, payload: LruPayload): LruElem {
    return { key: key.slice(), hash: this.table.hashOf(key), payload };
  }

  private adopt(node: LruNode<LruElem>, elem: LruElem): void {
    node.owner = elem;
    elem.payload.node = node;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): ErrnoValue {
    return this.write(key, value, flags, cpu, false);
  }

  private remove(key: Uint8Array): LruElem | undefined {
    const elem = this.table.find(this.keyOf(key));
    if (elem === undefined) return undefined;
    this.table.remove(elem);
    if (elem.payload.node !== undefined) this.lists.pushFree(elem.payload.node);
    return elem;
  }

  delete(key: Uint8Array): ErrnoValue {
    return this.remove(key) === undefined ? -Errno.ENOENT : 0;
  }

  getNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    return this.table.nextKey(key === undefined ? undefined : this.keyOf(key));
  }

  sysLookup(key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    const denied = this.sysReadDenied();
    if (denied !== 0) return denied;
    const elem = this.table.find(this.keyOf(key));
    return elem === undefined ? -Errno.ENOENT : elem.payload.slots.readAll();
  }

  sysUpdate(key: Uint8Array | undefined, value: Uint8Array, flags: number, cpu = 0): ErrnoValue {
    const denied = this.sysUpdateDenied(flags);
    if (denied !== 0) return denied;
    return this.write(this.keyOf(key), value, flags, cpu, this.perCpu);
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
    const elem = this.remove(this.keyOf(key));
    return elem === undefined ? -Errno.ENOENT : elem.payload.slots.readAll();
  }

  entries(): readonly MapEntry[] {
    return sortedEntries(this.table, this.perCpu);
  }

  get count(): number {
    return this.table.count;
  }

  get keyWatcher(): KeyWatcher | undefined {
    return this.table.keyWatcher;
  }

  set keyWatcher(watcher: KeyWatcher | undefined) {
    this.table.keyWatcher = watcher;
  }

  clone(): LruHashMap {
    const copy = new LruHashMap(this.def, this.cpus, this.perCpu);
    const copies = new Map<LruElem, LruElem>();
    copy.table = this.table.cloneWith((payload) => ({ slots: payload.slots.clone(), node: undefined }), copies);
    copy.lists = this.lists.cloneWith<LruElem>(
      (owner) => copies.get(owner) ?? owner,
      (node, owner) => {
        owner.payload.node = node;
      },
      (elem) => copy.table.remove(elem),
    );
    return copy;
  }
}
