// BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK (kernel/bpf/queue_stack_maps.c):
// keyless maps of at most max_entries values. push: BPF_ANY, or BPF_EXIST to
// overwrite the oldest value when full (both kinds); BPF_NOEXIST or unknown
// flags EINVAL; full without BPF_EXIST E2BIG. pop/peek: the oldest value
// (queue) or the newest (stack), ENOENT when empty. The element operations
// answer as the kernel's: lookup misses, update/delete/get_next_key EINVAL;
// on the syscall side lookup is peek, update is push and lookup-and-delete
// is pop.

import { MapBase } from "./base.ts";
import { Errno } from "./errno.ts";
import { UpdateFlag } from "./types.ts";
import type { Errno as ErrnoValue, MapDef, MapEntry, SimMap } from "./types.ts";

export class QueueStackMap extends MapBase implements SimMap {
  private readonly lastInFirstOut: boolean;
  // Oldest first.
  private readonly values: Uint8Array[];

  constructor(def: MapDef, cpus: number, lastInFirstOut: boolean, values: Uint8Array[] = []) {
    super(def, cpus);
    this.lastInFirstOut = lastInFirstOut;
    this.values = values;
  }

  push(value: Uint8Array, flags: number): ErrnoValue {
    if ((flags & UpdateFlag.NOEXIST) !== 0 || flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    if (this.values.length >= this.def.maxEntries) {
      if ((flags & UpdateFlag.EXIST) === 0) return -Errno.E2BIG;
      this.values.shift();
    }
    this.values.push(this.valueOf(value, this.def.valueSize).slice());
    return 0;
  }

  peek(): Uint8Array | ErrnoValue {
    if (this.values.length === 0) return -Errno.ENOENT;
    const at = this.lastInFirstOut ? this.values.length - 1 : 0;
    return this.values[at].slice();
  }

  pop(): Uint8Array | ErrnoValue {
    if (this.values.length === 0) return -Errno.ENOENT;
    return (this.lastInFirstOut ? this.values.pop() : this.values.shift()) as Uint8Array;
  }

  lookup(_key: Uint8Array, _cpu: number): Uint8Array | undefined {
    return undefined;
  }

  update(_key: Uint8Array, _value: Uint8Array, _flags: number, _cpu: number): ErrnoValue {
    return -Errno.EINVAL;
  }

  delete(_key: Uint8Array): ErrnoValue {
    return -Errno.EINVAL;
  }

  getNextKey(_key: Uint8Array | undefined): Uint8Array | undefined {
    return undefined;
  }

  sysLookup(_key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    return this.peek();
  }

  sysUpdate(_key: Uint8Array | undefined, value: Uint8Array, flags: number): ErrnoValue {
    const denied = this.sysUpdateDenied(flags);
    return denied !== 0 ? denied : this.push(value, flags);
  }

  sysDelete(_key: Uint8Array | undefined): ErrnoValue {
    return -Errno.EINVAL;
  }

  sysGetNextKey(_key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    return -Errno.EINVAL;
  }

  sysLookupAndDelete(_key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    const denied = this.sysWriteDenied();
    return denied !== 0 ? denied : this.pop();
  }

  // The values oldest first, each under an empty key.
  entries(): readonly MapEntry[] {
    return this.values.map((value) => ({ key: new Uint8Array(0), value: value.slice() }));
  }

  clone(): QueueStackMap {
    return new QueueStackMap(this.def, this.cpus, this.lastInFirstOut, this.values.map((value) => value.slice()));
  }
}
