// A throw-away view of a map for a dry run: reads come from the real map's
// syscall side (no LRU reference bits set), writes stay in an overlay, so
// the real map is left exactly as it was. The dry run only has to tell
// whether a packet makes the program call a clock or random helper, before
// the real runs (which then need copies of the maps); the overlay follows
// the map semantics the programs' control flow depends on (presence,
// BPF_NOEXIST/BPF_EXIST, array indexes) but not eviction, and leaves out
// what cannot be undone (ring buffers, perf events, pops, inner maps).
import { Errno, MapType, UpdateFlag, type BpfMap, type SimMap } from "../maps/index.ts";
import { isPerCpuMapType } from "./map-snapshot.ts";
import { syscallValues } from "./tracked-maps.ts";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

export function dryRunView(map: SimMap): BpfMap {
  const overlay = new Map<string, Uint8Array[] | null>();
  const isArray = map.def.type === MapType.ARRAY || map.def.type === MapType.PERCPU_ARRAY;
  const slot = (values: Uint8Array[], cpu: number): Uint8Array => values[values.length === 1 ? 0 : cpu];
  const read = (key: Uint8Array): Uint8Array[] | undefined => {
    const id = hex(key.subarray(0, map.def.keySize));
    const known = overlay.get(id);
    if (known !== undefined) return known ?? undefined;
    const raw = map.sysLookup(key.subarray(0, map.def.keySize));
    const values = typeof raw === "number" ? null : syscallValues(map, raw);
    overlay.set(id, values);
    return values ?? undefined;
  };
  return {
    def: map.def,
    cpus: map.cpus,
    lookup: (key, cpu) => {
      const values = read(key);
      return values === undefined ? undefined : slot(values, cpu);
    },
    update: (key, value, flags, cpu) => {
      const present = read(key);
      if ((flags & UpdateFlag.NOEXIST) !== 0 && present !== undefined) return -Errno.EEXIST;
      if ((flags & UpdateFlag.EXIST) !== 0 && present === undefined) return -Errno.ENOENT;
      if (isArray && present === undefined) return -Errno.E2BIG;
      const values = present ?? Array.from({ length: isPerCpuMapType(map.def.type) ? map.cpus : 1 }, () => new Uint8Array(map.def.valueSize));
      slot(values, cpu).set(value.subarray(0, map.def.valueSize));
      overlay.set(hex(key.subarray(0, map.def.keySize)), values);
      return 0;
    },
    delete: (key) => {
      if (isArray) return -Errno.EINVAL;
      if (read(key) === undefined) return -Errno.ENOENT;
      overlay.set(hex(key.subarray(0, map.def.keySize)), null);
      return 0;
    },
    getNextKey: (key) => map.getNextKey(key),
    ...(map.peek && { peek: () => map.peek!(), pop: () => map.peek!(), push: () => 0 }),
    ...(map.contains && { contains: (value: Uint8Array) => map.contains!(value), push: () => 0 }),
    ...(map.redirectTarget && { redirectTarget: (key: number) => map.redirectTarget!(key) }),
    ...(map.tailCallTarget && { tailCallTarget: (index: number) => map.tailCallTarget!(index) }),
    // An inner map is found again by its definition among the run's (dry) maps, so it is not wrapped here.
    ...(map.innerMap && { innerMap: (key: Uint8Array) => map.innerMap!(key) }),
  };
}
