// The index-keyed maps whose slots start empty and hold a reference rather
// than plain bytes: prog_array, perf_event_array, array_of_maps (the fd
// arrays of kernel/bpf/arraymap.c), devmap, cpumap and xskmap. They share
// the u32 key, the bound check, and the array-style get_next_key that visits
// every index, empty or not.

import { MapBase } from "./base.ts";
import { readU32, u32Bytes } from "./bytes.ts";
import { Errno } from "./errno.ts";
import type { Errno as ErrnoValue, MapDef } from "./types.ts";

export abstract class SlotArray<Slot> extends MapBase {
  protected readonly slots: (Slot | undefined)[];

  constructor(def: MapDef, cpus: number, slots?: (Slot | undefined)[]) {
    super(def, cpus);
    this.slots = slots ?? new Array<Slot | undefined>(def.maxEntries).fill(undefined);
  }

  protected indexOf(key: Uint8Array | undefined): number {
    return readU32(this.keyOf(key));
  }

  protected slotAt(key: Uint8Array | undefined): Slot | undefined {
    const index = this.indexOf(key);
    return index < this.def.maxEntries ? this.slots[index] : undefined;
  }

  getNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const next = this.sysGetNextKey(key);
    return typeof next === "number" ? undefined : next;
  }

  // array_map_get_next_key: every index in order, restarting at 0 for no key or one past the end.
  sysGetNextKey(key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    const index = key === undefined ? 0xffff_ffff : this.indexOf(key);
    if (index >= this.def.maxEntries) return u32Bytes(0);
    if (index === this.def.maxEntries - 1) return -Errno.ENOENT;
    return u32Bytes(index + 1);
  }

  sysLookupAndDelete(key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    this.keyOf(key);
    return -Errno.ENOTSUPP;
  }

  // Occupied indexes in order.
  protected occupied(): [number, Slot][] {
    const list: [number, Slot][] = [];
    this.slots.forEach((slot, index) => {
      if (slot !== undefined) list.push([index, slot]);
    });
    return list;
  }
}
