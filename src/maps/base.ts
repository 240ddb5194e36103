// What every map kind shares: the definition, the simulated CPU count, the
// size checks on keys and values handed in, and the access rules of the
// syscall side (BPF_F_RDONLY / BPF_F_WRONLY / frozen maps answer EPERM).

import { roundUp8 } from "./bytes.ts";
import { Errno } from "./errno.ts";
import { MapFlag } from "./flags.ts";
import { MapError } from "./map-error.ts";
import { UpdateFlag } from "./types.ts";
import type { Errno as ErrnoValue, MapDef } from "./types.ts";

export abstract class MapBase {
  readonly def: MapDef;
  readonly cpus: number;

  constructor(def: MapDef, cpus: number) {
    this.def = def;
    this.cpus = cpus;
  }

  // The first key_size bytes of `key`; a shorter key is a caller bug, reported by name.
  protected keyOf(key: Uint8Array | undefined): Uint8Array {
    if (this.def.keySize === 0) return new Uint8Array(0);
    if (key === undefined || key.length < this.def.keySize) {
      throw new MapError(
        `map "${this.def.name}": a key of ${key?.length ?? 0} bytes was given, the map's key size is ${this.def.keySize}.`,
        { map: this.def.name },
      );
    }
    return key.length === this.def.keySize ? key : key.subarray(0, this.def.keySize);
  }

  protected valueOf(value: Uint8Array, sizeBytes: number): Uint8Array {
    if (value.length < sizeBytes) {
      throw new MapError(
        `map "${this.def.name}": a value of ${value.length} bytes was given, ${sizeBytes} are needed.`,
        { map: this.def.name },
      );
    }
    return value.subarray(0, sizeBytes);
  }

  // Bytes of one CPU's slot on the syscall side: value_size rounded up to 8.
  protected get perCpuSlotBytes(): number {
    return roundUp8(this.def.valueSize);
  }

  // EPERM when user space may not write the map (map_get_sys_perms in kernel/bpf/syscall.c).
  protected sysWriteDenied(): ErrnoValue {
    if (this.def.frozen || (this.def.flags & MapFlag.RDONLY) !== 0) return -Errno.EPERM;
    return 0;
  }

  // BPF_MAP_UPDATE_ELEM's own checks before the map's: EPERM as above, then EINVAL for
  // BPF_F_LOCK, which needs a bpf_spin_lock in the value and no simulated map has one.
  protected sysUpdateDenied(flags: number): ErrnoValue {
    const denied = this.sysWriteDenied();
    if (denied !== 0) return denied;
    return (flags & UpdateFlag.F_LOCK) !== 0 ? -Errno.EINVAL : 0;
  }

  protected sysReadDenied(): ErrnoValue {
    return (this.def.flags & MapFlag.WRONLY) !== 0 ? -Errno.EPERM : 0;
  }
}
