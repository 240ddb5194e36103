// BPF_MAP_TYPE_ARRAY_OF_MAPS and BPF_MAP_TYPE_HASH_OF_MAPS (kernel/bpf/
// arraymap.c, hashtab.c, map_in_map.c): values are references to inner maps
// that match the definition's inner template (same type, key size, value
// size and flags; for array inner maps also max_entries unless the template
// has BPF_F_INNER_MAP), EINVAL otherwise. The syscall side writes a u32 map
// id (the kernel takes an fd) resolved through the `resolveMap` option (EBADF
// when it names no map) and reads back the inner map's id; a program's lookup
// yields the inner map itself (innerMap), and as bytes a view of its id.
// array_of_maps: BPF_ANY only (EINVAL), E2BIG past the end, delete of an
//   empty slot ENOENT; hash_of_maps: the hash rules (EEXIST/ENOENT/E2BIG).

import { MapBase } from "./base.ts";
import { compareBytes, readU32, u32Bytes } from "./bytes.ts";
import { Errno } from "./errno.ts";
import { MapFlag } from "./flags.ts";
import { HashBuckets } from "./hash-table.ts";
import { hashMapHash, presenceError } from "./hash.ts";
import { SlotArray } from "./slot-array.ts";
import { MapType, UpdateFlag } from "./types.ts";
import type { BpfMap, Errno as ErrnoValue, MapDef, MapEntry, SimMap } from "./types.ts";

export interface InnerRef {
  readonly map: BpfMap;
  // The id the syscall side reads back (a view of it is what a program's lookup returns).
  readonly idBytes: Uint8Array;
}

export type MapResolver = (id: number) => BpfMap | undefined;

// bpf_map_meta_equal, plus array_map_meta_equal's max_entries rule.
export function innerMatches(template: MapDef, inner: MapDef): boolean {
  const same =
    template.type === inner.type &&
    template.keySize === inner.keySize &&
    template.valueSize === inner.valueSize &&
    template.flags === inner.flags;
  if (!same) return false;
  const arrayLike = inner.type === MapType.ARRAY || inner.type === MapType.PERCPU_ARRAY;
  return !arrayLike || (template.flags & MapFlag.INNER_MAP) !== 0 || template.maxEntries === inner.maxEntries;
}

function innerRef(outer: MapDef, inner: BpfMap, id: number): InnerRef | ErrnoValue {
  if (outer.inner === undefined || !innerMatches(outer.inner, inner.def)) return -Errno.EINVAL;
  return { map: inner, idBytes: u32Bytes(id) };
}

function resolve(resolveMap: MapResolver | undefined, value: Uint8Array): { map: BpfMap; id: number } | ErrnoValue {
  const id = readU32(value);
  const map = resolveMap?.(id);
  return map === undefined ? -Errno.EBADF : { map, id };
}

export class ArrayOfMaps extends SlotArray<InnerRef> implements SimMap {
  private readonly resolveMap: MapResolver | undefined;

  constructor(def: MapDef, cpus: number, resolveMap: MapResolver | undefined, slots?: (InnerRef | undefined)[]) {
    super(def, cpus, slots);
    this.resolveMap = resolveMap;
  }

  lookup(key: Uint8Array, _cpu: number): Uint8Array | undefined {
    return this.slotAt(key)?.idBytes;
  }

  innerMap(key: Uint8Array): BpfMap | undefined {
    return this.slotAt(key)?.map;
  }

  update(key: Uint8Array, _value: Uint8Array, _flags: number, _cpu: number): ErrnoValue {
    this.keyOf(key);
    return -Errno.EINVAL;
  }

  // Stores `inner` at `key` as the syscall side would, `id` being what lookups read back.
  setInner(key: Uint8Array, inner: BpfMap, flags: number, id = 0): ErrnoValue {
    if (flags !== UpdateFlag.ANY) return -Errno.EINVAL;
    const index = this.indexOf(key);
    if (index >= this.def.maxEntries) return -Errno.E2BIG;
    const ref = innerRef(this.def, inner, id);
    if (typeof ref === "number") return ref;
    this.slots[index] = ref;
    return 0;
  }

  delete(key: Uint8Array): ErrnoValue {
    const index = this.indexOf(key);
    if (index >= this.def.maxEntries) return -Errno.E2BIG;
    if (this.slots[index] === undefined) return -Errno.ENOENT;
    this.slots[index] = undefined;
    return 0;
  }

  sysLookup(key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    return this.slotAt(key)?.idBytes.slice() ?? -Errno.ENOENT;
  }

  sysUpdate(key: Uint8Array | undefined, value: Uint8Array, flags: number): ErrnoValue {
    const denied = this.sysUpdateDenied(flags);
    if (denied !== 0) return denied;
    if (flags !== UpdateFlag.ANY) return -Errno.EINVAL;
    if (this.indexOf(key) >= this.def.maxEntries) return -Errno.E2BIG;
    const target = resolve(this.resolveMap, this.valueOf(value, 4));
    if (typeof target === "number") return target;
    return this.setInner(this.keyOf(key), target.map, flags, target.id);
  }

  sysDelete(key: Uint8Array | undefined): ErrnoValue {
    const denied = this.sysWriteDenied();
    return denied !== 0 ? denied : this.delete(this.keyOf(key));
  }

  entries(): readonly MapEntry[] {
    return this.occupied().map(([index, ref]) => ({ key: u32Bytes(index), inner: ref.map }));
  }

  // `replace` maps each inner map to the one the copy should reference (see cloneMaps).
  cloneWithInner(replace: (inner: BpfMap) => BpfMap): ArrayOfMaps {
    const slots = this.slots.map((ref) => (ref === undefined ? undefined : { map: replace(ref.map), idBytes: ref.idBytes.slice() }));
    return new ArrayOfMaps(this.def, this.cpus, this.resolveMap, slots);
  }

  clone(): ArrayOfMaps {
    return this.cloneWithInner((inner) => inner);
  }
}

export class HashOfMaps extends MapBase implements SimMap {
  private readonly resolveMap: MapResolver | undefined;
  private readonly table: HashBuckets<InnerRef>;

  constructor(def: MapDef, cpus: number, resolveMap: MapResolver | undefined, table?: HashBuckets<InnerRef>) {
    super(def, cpus);
    this.resolveMap = resolveMap;
    this.table = table ?? new HashBuckets<InnerRef>(def.maxEntries, hashMapHash);
  }

  lookup(key: Uint8Array, _cpu: number): Uint8Array | undefined {
    return this.table.find(this.keyOf(key))?.payload.idBytes;
  }

  innerMap(key: Uint8Array): BpfMap | undefined {
    return this.table.find(this.keyOf(key))?.payload.map;
  }

  update(key: Uint8Array, _value: Uint8Array, _flags: number, _cpu: number): ErrnoValue {
    this.keyOf(key);
    return -Errno.EINVAL;
  }

  setInner(key: Uint8Array, inner: BpfMap, flags: number, id = 0): ErrnoValue {
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    const ref = innerRef(this.def, inner, id);
    if (typeof ref === "number") return ref;
    const wanted = this.keyOf(key);
    const old = this.table.find(wanted);
    const error = presenceError(old !== undefined, flags);
    if (error !== 0) return error;
    if (old === undefined && this.table.count >= this.def.maxEntries) return -Errno.E2BIG;
    this.table.insertHead(wanted, ref);
    if (old !== undefined) this.table.remove(old);
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

  sysLookup(key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    return this.table.find(this.keyOf(key))?.payload.idBytes.slice() ?? -Errno.ENOENT;
  }

  sysUpdate(key: Uint8Array | undefined, value: Uint8Array, flags: number): ErrnoValue {
    const denied = this.sysUpdateDenied(flags);
    if (denied !== 0) return denied;
    const target = resolve(this.resolveMap, this.valueOf(value, 4));
    if (typeof target === "number") return target;
    return this.setInner(this.keyOf(key), target.map, flags, target.id);
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
      .map((elem) => ({ key: elem.key.slice(), inner: elem.payload.map }))
      .sort((a, b) => compareBytes(a.key, b.key));
  }

  cloneWithInner(replace: (inner: BpfMap) => BpfMap): HashOfMaps {
    const table = this.table.cloneWith((ref) => ({ map: replace(ref.map), idBytes: ref.idBytes.slice() }));
    return new HashOfMaps(this.def, this.cpus, this.resolveMap, table);
  }

  clone(): HashOfMaps {
    return this.cloneWithInner((inner) => inner);
  }
}
