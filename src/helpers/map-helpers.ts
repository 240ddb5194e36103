// bpf_map_lookup_elem / update / delete / push / pop / peek and
// bpf_map_lookup_percpu_elem (kernel/bpf/helpers.c): thin wrappers that read
// the key and value from program memory and call the map's own operations.
// A lookup hands the program a pointer to the live value, so its writes land
// in the map, as in the kernel; in a map of maps it hands back the inner map's
// handle (map-handles.ts), which the program passes on to map helpers.
import { Errno } from "../maps/errno.ts";
import { MapFlag } from "../maps/flags.ts";
import { MapType, type BpfMap } from "../maps/types.ts";
import { isOutcome, mapArgument, readBytes, writableBytes } from "./args.ts";
import { MAX_MAP_HANDLES, mapHandleAddress } from "./map-handles.ts";
import { helperName } from "./prototypes.ts";
import { misuse, returns, type HelperCall, type HelperOutcome } from "./runtime.ts";

// Maps whose values a program may read but never write: BPF_F_RDONLY_PROG, which
// the kernel also forces on devmaps and cpumaps (dev_map_init_map, cpu_map_alloc).
export const readOnlyForPrograms = (map: BpfMap): boolean =>
  (map.def.flags & MapFlag.RDONLY_PROG) !== 0 ||
  map.def.type === MapType.DEVMAP ||
  map.def.type === MapType.DEVMAP_HASH ||
  map.def.type === MapType.CPUMAP;

function valuePointer(call: HelperCall, map: BpfMap, value: Uint8Array | undefined): HelperOutcome {
  if (!value) return returns(0);
  const writable = !readOnlyForPrograms(map);
  const region = call.machine.memory.regionForView(value, "map-value", `value in map '${map.def.name}'`, writable);
  return returns(region.base);
}

// array_of_map_lookup_elem / htab_of_map_lookup_elem: the inner map's pointer, NULL for an empty slot.
export function innerMapPointer(call: HelperCall, outer: BpfMap, inner: BpfMap | undefined): HelperOutcome {
  if (!inner) return returns(0);
  const index = call.machine.mapHandles.indexOf(inner);
  if (index === undefined) return misuse(`${helperName(call.id)} on map '${outer.def.name}' reaches more inner maps than a run can address (${MAX_MAP_HANDLES} maps in all)`);
  return returns(mapHandleAddress(index));
}

function lookupOn(call: HelperCall, cpu: number): HelperOutcome {
  const map = mapArgument(call, 0);
  if (isOutcome(map)) return map;
  const key = readBytes(call, call.args[1], map.def.keySize);
  if (isOutcome(key)) return key;
  if (map.innerMap) return innerMapPointer(call, map, map.innerMap(key));
  return valuePointer(call, map, map.lookup(key, cpu));
}

export const mapLookupElem = (call: HelperCall): HelperOutcome => lookupOn(call, call.machine.cpu);

export function mapLookupPercpuElem(call: HelperCall): HelperOutcome {
  const cpu = call.args[2];
  const cpus = BigInt(mapArgumentCpus(call));
  return cpu >= cpus ? returns(0) : lookupOn(call, Number(cpu));
}

const mapArgumentCpus = (call: HelperCall): number => {
  const map = mapArgument(call, 0);
  return isOutcome(map) ? 0 : (map.cpus ?? 1);
};

export function mapUpdateElem(call: HelperCall): HelperOutcome {
  const map = mapArgument(call, 0);
  if (isOutcome(map)) return map;
  const key = readBytes(call, call.args[1], map.def.keySize);
  if (isOutcome(key)) return key;
  const value = readBytes(call, call.args[2], map.def.valueSize);
  if (isOutcome(value)) return value;
  const flags = mapFlags(call.args[3]);
  return returns(flags === undefined ? -Errno.EINVAL : map.update(key, value, flags, call.machine.cpu));
}

// The flags argument is a u64 (BPF_CALL_4 bpf_map_update_elem / bpf_map_push_elem), and every
// map kind's update refuses anything above BPF_EXIST | BPF_F_LOCK with EINVAL before any other
// check, so flags beyond 32 bits never reach a map (whose checks work on 32-bit numbers).
const mapFlags = (flags: bigint): number | undefined => (flags > 0xffff_ffffn ? undefined : Number(flags));

export function mapDeleteElem(call: HelperCall): HelperOutcome {
  const map = mapArgument(call, 0);
  if (isOutcome(map)) return map;
  const key = readBytes(call, call.args[1], map.def.keySize);
  if (isOutcome(key)) return key;
  return returns(map.delete(key));
}

export function mapPushElem(call: HelperCall): HelperOutcome {
  const map = mapArgument(call, 0);
  if (isOutcome(map)) return map;
  if (!map.push) return unsupported(call, map);
  const value = readBytes(call, call.args[1], map.def.valueSize);
  if (isOutcome(value)) return value;
  const flags = mapFlags(call.args[2]);
  return returns(flags === undefined ? -Errno.EINVAL : map.push(value, flags));
}

// pop and peek copy the element into the program's buffer, or zero it and fail with an errno;
// peek on a bloom filter reads the buffer instead and answers whether the value may be in the set.
function takeElement(call: HelperCall, remove: boolean): HelperOutcome {
  const map = mapArgument(call, 0);
  if (isOutcome(map)) return map;
  if (!remove && map.contains) {
    const value = readBytes(call, call.args[1], map.def.valueSize);
    return isOutcome(value) ? value : returns(map.contains(value));
  }
  const take = remove ? map.pop?.bind(map) : map.peek?.bind(map);
  if (!take) return unsupported(call, map);
  const out = writableBytes(call, call.args[1], map.def.valueSize);
  if (isOutcome(out)) return out;
  const element = take();
  if (typeof element === "number") {
    // An empty queue or stack zeroes the buffer (kernel/bpf/queue_stack_maps.c).
    out.fill(0);
    return returns(element);
  }
  out.set(element.subarray(0, out.length));
  return returns(0);
}

export const mapPopElem = (call: HelperCall): HelperOutcome => takeElement(call, true);
export const mapPeekElem = (call: HelperCall): HelperOutcome => takeElement(call, false);

const unsupported = (call: HelperCall, map: BpfMap): HelperOutcome =>
  misuse(`${helperName(call.id)} is not supported by map '${map.def.name}' (type ${map.def.type})`);
