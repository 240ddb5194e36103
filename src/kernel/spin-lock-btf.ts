// BTF for a map whose value holds a struct bpf_spin_lock, made from its MapDef
// alone, for callers that have no object BTF at all (a map built from a
// definition for raw instructions). Never for an object whose .BTF the kernel
// refused: libbpf then creates every map without BTF. The kernel
// accepts bpf_spin_lock only in a map created with a value type that holds a
// struct named "bpf_spin_lock" of 4 bytes at a 4-byte aligned offset
// (kernel/bpf/btf.c, btf_parse_fields; "map has to have BTF in order to use
// bpf_spin_lock"), and a key type of the key's size (map_check_btf). The value
// here is bytes before the lock, the lock, bytes after it; the key an array of
// bytes. Layout: include/uapi/linux/btf.h.
import { BtfKind } from "../elf/btf.ts";
import type { MapDef } from "../maps/types.ts";
import { assembleBtf, BtfStrings, typeInfo } from "./btf-blob.ts";

export interface SyntheticMapBtf {
  readonly blob: Uint8Array;
  readonly keyTypeId: number;
  readonly valueTypeId: number;
}

const SPIN_LOCK_BYTES = 4;
const BITS_PER_BYTE = 8;
// BTF_INT_ENCODING bits of an int's extra word (bits 24-27), and its bit count (bits 0-7).
const INT_SIGNED = 1 << 24;

// undefined when the map has no lock, or no key to describe (the kernel then wants no key type either way).
export function spinLockMapBtf(def: MapDef): SyntheticMapBtf | undefined {
  const lockAt = def.spinLockOffsetBytes;
  if (lockAt === undefined || def.keySize === 0 || lockAt + SPIN_LOCK_BYTES > def.valueSize) return undefined;
  const strings = new BtfStrings();
  const words: number[] = [];
  let nextId = 1;
  const add = (nameOff: number, kind: number, vlen: number, sizeOrType: number, extra: readonly number[]): number => {
    words.push(nameOff, typeInfo(kind, vlen), sizeOrType, ...extra);
    return nextId++;
  };
  const int = add(strings.add("int"), BtfKind.INT, 0, 4, [INT_SIGNED | 32]);
  const byte = add(strings.add("unsigned char"), BtfKind.INT, 0, 1, [BITS_PER_BYTE]);
  const bytes = (count: number): number => add(0, BtfKind.ARRAY, 0, 0, [byte, int, count]);
  const key = bytes(def.keySize);
  const lock = add(strings.add("bpf_spin_lock"), BtfKind.STRUCT, 1, SPIN_LOCK_BYTES, [strings.add("val"), int, 0]);
  const tailBytes = def.valueSize - lockAt - SPIN_LOCK_BYTES;
  const members: number[][] = [];
  if (lockAt > 0) members.push([strings.add("head"), bytes(lockAt), 0]);
  members.push([strings.add("lock"), lock, lockAt * BITS_PER_BYTE]);
  if (tailBytes > 0) members.push([strings.add("tail"), bytes(tailBytes), (lockAt + SPIN_LOCK_BYTES) * BITS_PER_BYTE]);
  const value = add(strings.add("locked_value"), BtfKind.STRUCT, members.length, def.valueSize, members.flat());
  const blob = assembleBtf(words, strings);
  return { blob, keyTypeId: key, valueTypeId: value };
}
