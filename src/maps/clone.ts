// Copies of maps, so the host interpreter and the NIC model can start from
// the same initial state without sharing it. cloneMaps copies a set of maps
// together: a map of maps in the set then refers to the copies of its inner
// maps (inner maps outside the set are copied too), never to the originals.

import { ArrayOfMaps, HashOfMaps } from "./map-in-map.ts";
import type { BpfMap, SimMap } from "./types.ts";

export function cloneMap(map: SimMap): SimMap {
  return cloneMaps([map])[0];
}

export function cloneMaps(maps: readonly SimMap[]): SimMap[] {
  const copies = new Map<BpfMap, BpfMap>();
  const copyOf = (map: BpfMap): BpfMap => {
    const known = copies.get(map);
    if (known !== undefined) return known;
    let copy: BpfMap;
    if (map instanceof ArrayOfMaps || map instanceof HashOfMaps) copy = map.cloneWithInner(copyOf);
    else copy = map.clone?.() ?? map;
    copies.set(map, copy);
    return copy;
  };
  return maps.map((map) => copyOf(map) as SimMap);
}
