// Map handles: the address a register holds when it points at a map (the
// kernel's CONST_PTR_TO_MAP, a struct bpf_map *). An ld_imm64 map reference
// loads one, and so does a lookup in a map of maps: the kernel's
// array_of_map_lookup_elem / htab_of_map_lookup_elem return the inner map's
// pointer, which the program hands to map helpers and never reads as bytes.
//
// Map i of the run's list has the handle of segment MAPS + i, and so has an
// inner map that is map i: the same object, or one the list holds a view of
// (a wrapper that forwards to it and shares its definition object, as the
// kernel-check's tracking and dry-run views do; no two maps the simulator
// creates share one, though a clone shares its original's). An inner map
// the list does not hold gets the next free index (maps.length, then + 1...)
// the first time a lookup returns it and keeps it for the machine's life, so
// the object's maps are never renumbered and one map always has one address,
// as the kernel hands out the same pointer for the same map. A handle is a
// region without bytes: any load or store through it faults.
import { Segment, segmentBase, type AddressSpace, type RegionSpec } from "../interp/memory.ts";
import type { BpfMap, MapDef } from "../maps/types.ts";

// The handle indexes the address layout has room for (segments MAPS up to DYNAMIC, src/interp/memory.ts).
export const MAX_MAP_HANDLES = Segment.DYNAMIC - Segment.MAPS;

export const mapHandleAddress = (index: number): bigint => segmentBase(Segment.MAPS + index);

export const mapHandleSpec = (map: BpfMap): RegionSpec => ({
  kind: "map",
  label: `map '${map.def.name}' (a handle, not memory)`,
  bytes: new Uint8Array(0),
  writable: false,
});

// The run's maps by handle index: its own list first, then the inner maps reached through maps of maps.
export class MapHandles {
  private readonly inner: BpfMap[] = [];
  // Every map with a handle, by identity, and the listed maps by definition; built on the first inner lookup.
  private indexes: Map<BpfMap, number> | undefined;
  private byDef: Map<MapDef, number> | undefined;

  constructor(
    private readonly maps: readonly BpfMap[],
    private readonly memory: AddressSpace,
  ) {}

  // The map whose handle has this index, undefined when none has.
  at(index: number): BpfMap | undefined {
    return index < this.maps.length ? this.maps[index] : this.inner[index - this.maps.length];
  }

  // The handle index of `map`, given one (and its region mapped) on first sight; undefined when
  // the address layout has no segment left.
  indexOf(map: BpfMap): number | undefined {
    const indexes = this.indexes ?? this.indexMaps();
    const known = indexes.get(map) ?? this.byDef!.get(map.def);
    if (known !== undefined) return known;
    const index = this.maps.length + this.inner.length;
    if (index >= MAX_MAP_HANDLES) return undefined;
    this.inner.push(map);
    indexes.set(map, index);
    this.memory.mapAt(Segment.MAPS + index, mapHandleSpec(map));
    return index;
  }

  private indexMaps(): Map<BpfMap, number> {
    const indexes = new Map<BpfMap, number>();
    const byDef = new Map<MapDef, number>();
    // A map listed twice answers to its first index.
    for (let i = this.maps.length - 1; i >= 0; i--) {
      indexes.set(this.maps[i], i);
      byDef.set(this.maps[i].def, i);
    }
    this.indexes = indexes;
    this.byDef = byDef;
    return indexes;
  }
}
