// BPF_MAP_TYPE_XSKMAP (net/xdp/xskmap.c): AF_XDP sockets bpf_redirect_map
// delivers to, keyed by queue index. The value is a socket fd; the
// simulator stores it as a socket number (the kernel checks it is an AF_XDP
// socket bound to a device: EBADF, ENOTSOCK or EOPNOTSUPP otherwise).
// Update: EINVAL for unknown flags, E2BIG past max_entries, EEXIST for
// BPF_NOEXIST on a bound slot, ENOENT for BPF_EXIST on an empty one. The
// syscall side cannot read it back (EOPNOTSUPP); delete always succeeds below
// max_entries (EINVAL beyond). A program's lookup sees the socket.

import { readU32, u32Bytes } from "./bytes.ts";
import { Errno } from "./errno.ts";
import { SlotArray } from "./slot-array.ts";
import { UpdateFlag } from "./types.ts";
import type { Errno as ErrnoValue, MapDef, MapEntry, RedirectTarget, SimMap } from "./types.ts";

export class XskMap extends SlotArray<Uint8Array> implements SimMap {
  constructor(def: MapDef, cpus: number, slots?: (Uint8Array | undefined)[]) {
    super(def, cpus, slots);
  }

  lookup(key: Uint8Array, _cpu: number): Uint8Array | undefined {
    return this.slotAt(key);
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, _cpu: number): ErrnoValue {
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    const index = this.indexOf(key);
    if (index >= this.def.maxEntries) return -Errno.E2BIG;
    const old = this.slots[index];
    if (old !== undefined && flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    if (old === undefined && flags === UpdateFlag.EXIST) return -Errno.ENOENT;
    this.slots[index] = this.valueOf(value, 4).slice();
    return 0;
  }

  delete(key: Uint8Array): ErrnoValue {
    const index = this.indexOf(key);
    if (index >= this.def.maxEntries) return -Errno.EINVAL;
    this.slots[index] = undefined;
    return 0;
  }

  redirectTarget(key: number): RedirectTarget | undefined {
    const socket = key < this.def.maxEntries ? this.slots[key] : undefined;
    return socket === undefined ? undefined : { kind: "xsk", queueIndex: key, socket: readU32(socket) };
  }

  sysLookup(key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    this.keyOf(key);
    return -Errno.EOPNOTSUPP;
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
    return this.occupied().map(([index, socket]) => ({ key: u32Bytes(index), value: socket.slice() }));
  }

  clone(): XskMap {
    return new XskMap(this.def, this.cpus, this.slots.map((slot) => slot?.slice()));
  }
}
