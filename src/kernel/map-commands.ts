// BPF_MAP_CREATE and the element commands (lookup, update, delete,
// get_next_key) on raw fds. Sizes are checked here, before the syscall: the
// kernel copies key_size/value-size bytes from whatever address it is given.
import { MapType, type MapDef } from "../maps/types.ts";
import { OffloadSimError } from "../errors.ts";
import { Errno } from "../maps/errno.ts";
import { MapCreateAttr, MapElemAttr } from "./attr-layout.ts";
import { expectOk, invoke, kernelObjectName, setObjectName, setPointer, withArena, type BpfOutcome } from "./bpf-call.ts";
import type { Native, NativeArena, NativeBlock } from "./native.ts";
import { BpfCmd, PER_CPU_VALUE_ALIGN } from "./uapi.ts";

// Map types whose syscall value holds one slot per possible CPU (kernel/bpf/syscall.c, bpf_map_value_size).
const perCpuMapTypes: ReadonlySet<number> = new Set([
  MapType.PERCPU_HASH,
  MapType.PERCPU_ARRAY,
  MapType.LRU_PERCPU_HASH,
  MapType.PERCPU_CGROUP_STORAGE,
]);

export const isPerCpuMapType = (type: number): boolean => perCpuMapTypes.has(type);

// Map kinds user space cannot read key by key: no keys (queue, stack: get_next_key is EINVAL; bloom
// filter: get_next_key is EOPNOTSUPP, and its lookup only answers "maybe present" for a value it is
// given), or no syscall lookup (ring buffer, perf event array: ENOTSUPP; xskmap: EOPNOTSUPP).
// Measured on Linux 6.18. The one list of the maps that are neither dumped nor compared with the kernel's.
const undumpableMapTypes: ReadonlySet<number> = new Set([
  MapType.QUEUE,
  MapType.STACK,
  MapType.BLOOM_FILTER,
  MapType.RINGBUF,
  MapType.PERF_EVENT_ARRAY,
  MapType.XSKMAP,
]);

export const isDumpableMapType = (type: number): boolean => !undumpableMapTypes.has(type);

// How a map's values cross the syscall boundary.
export interface ValueShape {
  readonly perCpu: boolean;
  readonly valueSize: number;
  // Bytes between two CPUs' values (the value size rounded up to 8) and the CPU count; 1 slot for shared maps.
  readonly slotStride: number;
  readonly slots: number;
  readonly syscallValueBytes: number;
}

export function valueShape(def: MapDef, cpuCount: number): ValueShape {
  if (!isPerCpuMapType(def.type)) {
    return { perCpu: false, valueSize: def.valueSize, slotStride: def.valueSize, slots: 1, syscallValueBytes: def.valueSize };
  }
  const slotStride = Math.ceil(def.valueSize / PER_CPU_VALUE_ALIGN) * PER_CPU_VALUE_ALIGN;
  return { perCpu: true, valueSize: def.valueSize, slotStride, slots: cpuCount, syscallValueBytes: slotStride * cpuCount };
}

// A map's BTF as BPF_MAP_CREATE takes it: a loaded BTF object and the key and value type ids in it.
export interface MapBtf {
  readonly btfFd: number;
  readonly keyTypeId: number;
  readonly valueTypeId: number;
}

// Map types libbpf creates without BTF even when the object describes their key and value
// (tools/lib/bpf/libbpf.c, bpf_object__create_map): the kernel has no use for it there.
const mapTypesWithoutBtf: ReadonlySet<number> = new Set([
  MapType.PERF_EVENT_ARRAY,
  MapType.CGROUP_ARRAY,
  MapType.STACK_TRACE,
  MapType.ARRAY_OF_MAPS,
  MapType.HASH_OF_MAPS,
  MapType.DEVMAP,
  MapType.DEVMAP_HASH,
  MapType.CPUMAP,
  MapType.XSKMAP,
  MapType.SOCKMAP,
  MapType.SOCKHASH,
  MapType.QUEUE,
  MapType.STACK,
  MapType.RINGBUF,
]);

// The BTF libbpf would pass for this map: none for the types above or when no type id is known.
export function btfForMapType(type: number, btf: MapBtf | undefined): MapBtf | undefined {
  if (btf === undefined || mapTypesWithoutBtf.has(type)) return undefined;
  return btf.keyTypeId === 0 && btf.valueTypeId === 0 ? undefined : btf;
}

// Creates the map as libbpf does: with its BTF when it has some, and when the kernel refuses
// the map with BTF (a kernel without BTF for that map type, say), once more without it.
export function createMapFd(native: Native, def: MapDef, innerMapFd: number | undefined, label: string, btf?: MapBtf, kernelName?: string): number {
  const withBtf = btfForMapType(def.type, btf);
  const name = kernelName ?? kernelObjectName(def.name);
  const first = createOnce(native, def, name, innerMapFd, withBtf);
  if (first.ok || withBtf === undefined) return expectOk(first, { command: "BPF_MAP_CREATE", object: label, einvalHint: createHint(def) });
  return expectOk(createOnce(native, def, name, innerMapFd, undefined), { command: "BPF_MAP_CREATE", object: label, einvalHint: createHint(def) });
}

function createOnce(native: Native, def: MapDef, kernelName: string, innerMapFd: number | undefined, btf: MapBtf | undefined): BpfOutcome {
  return withArena(native, (arena) => {
    const attr = arena.alloc(MapCreateAttr.size);
    attr.view.setUint32(MapCreateAttr.map_type, def.type, true);
    attr.view.setUint32(MapCreateAttr.key_size, def.keySize, true);
    attr.view.setUint32(MapCreateAttr.value_size, def.valueSize, true);
    attr.view.setUint32(MapCreateAttr.max_entries, def.maxEntries, true);
    attr.view.setUint32(MapCreateAttr.map_flags, def.flags >>> 0, true);
    attr.view.setUint32(MapCreateAttr.inner_map_fd, innerMapFd ?? 0, true);
    attr.view.setBigUint64(MapCreateAttr.map_extra, BigInt(def.mapExtra ?? 0), true);
    if (btf !== undefined) {
      attr.view.setUint32(MapCreateAttr.btf_fd, btf.btfFd, true);
      attr.view.setUint32(MapCreateAttr.btf_key_type_id, btf.keyTypeId, true);
      attr.view.setUint32(MapCreateAttr.btf_value_type_id, btf.valueTypeId, true);
    }
    setObjectName(attr, MapCreateAttr.map_name, kernelObjectName(kernelName));
    return invoke(native, { cmd: BpfCmd.MAP_CREATE, attrSize: MapCreateAttr.size }, attr);
  });
}

function createHint(def: MapDef): string | undefined {
  if (def.type === MapType.LPM_TRIE) return "an LPM trie needs BPF_F_NO_PREALLOC and a key of 4 bytes of prefix length plus the data";
  if (def.type === MapType.ARRAY_OF_MAPS || def.type === MapType.HASH_OF_MAPS) return "a map-of-maps needs an inner map fd";
  return undefined;
}

// Raw syscall value bytes for `key`, or undefined when the kernel answers ENOENT.
export function lookupElem(native: Native, fd: number, key: Uint8Array, valueBytes: number, label: string): Uint8Array | undefined {
  return withArena(native, (arena) => {
    const attr = arena.alloc(MapElemAttr.size);
    const value = arena.alloc(valueBytes);
    attr.view.setUint32(MapElemAttr.map_fd, fd, true);
    setPointer(attr, MapElemAttr.key, keyCopy(arena, key));
    setPointer(attr, MapElemAttr.value, value);
    const outcome = invoke(native, { cmd: BpfCmd.MAP_LOOKUP_ELEM, attrSize: MapElemAttr.size }, attr);
    if (!outcome.ok && outcome.errno === Errno.ENOENT) return undefined;
    expectOk(outcome, { command: "BPF_MAP_LOOKUP_ELEM", object: label });
    return value.bytes.slice();
  });
}

// A bloom filter's syscall lookup: no key, the value is the input; 0 is "maybe present", ENOENT "absent".
export function bloomContains(native: Native, fd: number, value: Uint8Array, label: string): boolean {
  return withArena(native, (arena) => {
    const attr = arena.alloc(MapElemAttr.size);
    attr.view.setUint32(MapElemAttr.map_fd, fd, true);
    setPointer(attr, MapElemAttr.value, arena.copyOf(value));
    const outcome = invoke(native, { cmd: BpfCmd.MAP_LOOKUP_ELEM, attrSize: MapElemAttr.size }, attr);
    if (!outcome.ok && outcome.errno === Errno.ENOENT) return false;
    expectOk(outcome, { command: "BPF_MAP_LOOKUP_ELEM", object: label });
    return true;
  });
}

export function updateElem(native: Native, fd: number, key: Uint8Array, value: Uint8Array, flags: number, label: string): void {
  withArena(native, (arena) => {
    const attr = arena.alloc(MapElemAttr.size);
    attr.view.setUint32(MapElemAttr.map_fd, fd, true);
    setPointer(attr, MapElemAttr.key, keyCopy(arena, key));
    setPointer(attr, MapElemAttr.value, arena.copyOf(value));
    attr.view.setBigUint64(MapElemAttr.flags, BigInt(flags >>> 0), true);
    expectOk(invoke(native, { cmd: BpfCmd.MAP_UPDATE_ELEM, attrSize: MapElemAttr.size }, attr), {
      command: "BPF_MAP_UPDATE_ELEM",
      object: label,
    });
  });
}

export function deleteElem(native: Native, fd: number, key: Uint8Array, label: string): void {
  withArena(native, (arena) => {
    const attr = arena.alloc(MapElemAttr.size);
    attr.view.setUint32(MapElemAttr.map_fd, fd, true);
    setPointer(attr, MapElemAttr.key, keyCopy(arena, key));
    expectOk(invoke(native, { cmd: BpfCmd.MAP_DELETE_ELEM, attrSize: MapElemAttr.size }, attr), {
      command: "BPF_MAP_DELETE_ELEM",
      object: label,
    });
  });
}

// The key after `key` (the first key when `key` is undefined), or undefined at the end (ENOENT).
export function nextKey(native: Native, fd: number, key: Uint8Array | undefined, keySize: number, label: string): Uint8Array | undefined {
  return withArena(native, (arena) => {
    const attr = arena.alloc(MapElemAttr.size);
    const next = arena.alloc(keySize);
    attr.view.setUint32(MapElemAttr.map_fd, fd, true);
    setPointer(attr, MapElemAttr.key, key === undefined ? undefined : arena.copyOf(key));
    setPointer(attr, MapElemAttr.next_key, next);
    const outcome = invoke(native, { cmd: BpfCmd.MAP_GET_NEXT_KEY, attrSize: MapElemAttr.size }, attr);
    if (!outcome.ok && outcome.errno === Errno.ENOENT) return undefined;
    expectOk(outcome, { command: "BPF_MAP_GET_NEXT_KEY", object: label });
    return next.bytes.slice();
  });
}

// Makes the map read-only for user space from now on; the verifier then treats
// a read-only-for-programs map's contents as constants (.rodata).
export function freezeMap(native: Native, fd: number, label: string): void {
  withArena(native, (arena) => {
    const attr = arena.alloc(MapElemAttr.size);
    attr.view.setUint32(MapElemAttr.map_fd, fd, true);
    expectOk(invoke(native, { cmd: BpfCmd.MAP_FREEZE, attrSize: MapElemAttr.size }, attr), {
      command: "BPF_MAP_FREEZE",
      object: label,
    });
  });
}

// Maps without keys (queue, stack: key_size 0) want a NULL key pointer.
function keyCopy(arena: NativeArena, key: Uint8Array): NativeBlock | undefined {
  return key.length === 0 ? undefined : arena.copyOf(key);
}

export function checkLength(what: string, bytes: Uint8Array, expected: number, label: string): void {
  if (bytes.length !== expected) {
    throw new OffloadSimError(`${what} for ${label} is ${bytes.length} bytes, but the map's ${what} size is ${expected}.`);
  }
}
