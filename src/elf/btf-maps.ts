import { MapType, type MapDef } from "../maps/types.ts";
import { btfType, BtfVarLinkage, findDatasec, resolveSize, skipModsAndTypedefs, type Btf, type BtfMember, type BtfType } from "./btf.ts";
import { STB, STT } from "./elf-constants.ts";
import type { ElfFile } from "./elf-file.ts";
import { elfError } from "./errors.ts";
import type { PlacedMap } from "./placed-map.ts";
import { perfArrayEntries } from "./possible-cpus.ts";
import type { ElfSection } from "./section-table.ts";

// BTF-defined maps (SEC(".maps")), read the way libbpf's parse_btf_map_def
// does: each variable of the ".maps" DATASEC is a struct whose members encode
// the attributes; integer attributes are pointers to arrays whose length is
// the value (`int (*type)[BPF_MAP_TYPE_HASH]`), `key`/`value` are pointers to
// the key and value types, `values` names the inner map of a map-in-map.

const LIBBPF_PIN_NONE = 0;
const LIBBPF_PIN_BY_NAME = 1;
// A prog array or map-in-map holds 4-byte fds (libbpf sets value_size to 4 for `values`).
const FD_VALUE_BYTES = 4;
// The kernel wants a ring buffer's max_entries to be a power-of-2 number of
// pages; libbpf rounds up (adjust_ringbuf_sz). 4096 is the x86-64/arm64 page size.
const PAGE_BYTES = 4096;

interface MapFields {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  pinning: number;
  mapExtra: number;
  inner?: MapDef;
  spinLockOffsetBytes?: number;
}

export function readBtfMaps(elf: ElfFile, section: ElfSection, btf: Btf | undefined): PlacedMap[] {
  const where = { file: elf.fileName, section: section.name };
  if (!btf) throw elfError(where, "the section declares BTF-defined maps, but the object has no readable .BTF section to describe them");
  const datasec = findDatasec(btf, ".maps");
  if (!datasec) throw elfError(where, "the section has no DATASEC '.maps' in .BTF, expected one describing each map variable");
  const sizeFromElf = datasec.sizeOrType === 0;
  const vars = (datasec.secinfos ?? []).map((info, i) => {
    const variable = btfType(btf, info.type, `variable ${i} of DATASEC '.maps'`);
    if (variable.kind !== "var") {
      throw elfError(where, `DATASEC '.maps' entry ${i} is BTF ${variable.kind} [${variable.id}], expected a VAR`);
    }
    if (variable.name === "") throw elfError(where, `DATASEC '.maps' entry ${i} has an empty name, expected the map's name`);
    // clang leaves DATASEC sizes and offsets 0; libbpf then takes offsets from the ELF symbols.
    const offset = sizeFromElf ? symbolOffset(elf, section, variable.name) : info.offset;
    if (offset + info.size > section.size) {
      throw elfError(where, `map '${variable.name}' spans bytes ${offset}..${offset + info.size}, past the ${section.size}-byte section`);
    }
    return { variable, offset, size: info.size };
  });
  vars.sort((a, b) => a.offset - b.offset);
  return vars.map(({ variable, offset, size }) => {
    const name = variable.name;
    if (variable.linkage !== BtfVarLinkage.GLOBAL_ALLOCATED) {
      throw elfError(where, `map '${name}' has BTF linkage ${variable.linkage}, expected a global definition (static and extern maps are not supported by libbpf)`);
    }
    const def = skipModsAndTypedefs(btf, variable.sizeOrType, `map '${name}'`);
    if (def.kind !== "struct") throw elfError(where, `map '${name}' is a BTF ${def.kind}, expected a struct of map attributes`);
    if (def.sizeOrType > size) throw elfError(where, `map '${name}' definition is ${def.sizeOrType} bytes, larger than its ${size}-byte variable`);
    const fields = readFields(elf, section, btf, name, def, false);
    return { def: toMapDef(name, fields), sectionIndex: section.index, offset, origin: "btf" as const };
  });
}

function symbolOffset(elf: ElfFile, section: ElfSection, name: string): number {
  const symbol = elf.symbolTable.symbols.find(
    (s) => s.type === STT.OBJECT && (s.bind === STB.GLOBAL || s.bind === STB.WEAK) && s.name === name,
  );
  if (!symbol || symbol.sectionIndex !== section.index) {
    throw elfError({ file: elf.fileName, section: section.name }, `map '${name}' has no global ELF symbol in this section, expected one giving its offset`);
  }
  return symbol.value;
}

function readFields(elf: ElfFile, section: ElfSection, btf: Btf, mapName: string, def: BtfType, isInner: boolean): MapFields {
  const where = { file: elf.fileName, section: section.name };
  const fail = (problem: string) => elfError(where, `map '${mapName}': ${problem}`);
  const fields: MapFields = { type: MapType.UNSPEC, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, pinning: LIBBPF_PIN_NONE, mapExtra: 0 };
  const setSize = (key: "keySize" | "valueSize", size: number): void => {
    if (fields[key] !== 0 && fields[key] !== size) {
      throw fail(`conflicting ${key === "keySize" ? "key" : "value"} sizes ${fields[key]} and ${size}, expected them to agree`);
    }
    fields[key] = size;
  };
  const members = def.members ?? [];
  members.forEach((member, i) => {
    switch (member.name) {
      case "type":
        fields.type = intField(btf, member, fail);
        break;
      case "max_entries":
        fields.maxEntries = intField(btf, member, fail);
        break;
      case "map_flags":
        fields.flags = intField(btf, member, fail);
        break;
      case "numa_node":
        intField(btf, member, fail);
        break;
      case "map_extra":
        fields.mapExtra = intField(btf, member, fail);
        break;
      case "key_size":
        setSize("keySize", intField(btf, member, fail));
        break;
      case "value_size":
        setSize("valueSize", intField(btf, member, fail));
        break;
      case "key":
      case "value": {
        const pointer = btfType(btf, member.type, `the ${member.name} of map '${mapName}'`);
        if (pointer.kind !== "ptr") throw fail(`${member.name} is BTF ${pointer.kind}, expected a pointer to the ${member.name} type`);
        setSize(member.name === "key" ? "keySize" : "valueSize", resolveSize(btf, pointer.sizeOrType, `the ${member.name} type of map '${mapName}'`));
        if (member.name === "value") fields.spinLockOffsetBytes = spinLockOffset(btf, pointer.sizeOrType, `the value type of map '${mapName}'`);
        break;
      }
      case "values":
        readValues(elf, section, btf, mapName, member, i === members.length - 1, isInner, fields, fail);
        break;
      case "pinning": {
        if (isInner) throw fail("an inner map definition cannot be pinned");
        const pinning = intField(btf, member, fail);
        if (pinning !== LIBBPF_PIN_NONE && pinning !== LIBBPF_PIN_BY_NAME) {
          throw fail(`pinning is ${pinning}, expected 0 (LIBBPF_PIN_NONE) or 1 (LIBBPF_PIN_BY_NAME)`);
        }
        fields.pinning = pinning;
        break;
      }
      default:
        throw fail(`unknown attribute '${member.name}', expected type, key, value, key_size, value_size, max_entries, map_flags, numa_node, map_extra, pinning or values`);
    }
  });
  if (fields.type === MapType.UNSPEC) throw fail("no map type is given, expected a 'type' attribute");
  return fields;
}

function readValues(
  elf: ElfFile,
  section: ElfSection,
  btf: Btf,
  mapName: string,
  member: BtfMember,
  isLast: boolean,
  isInner: boolean,
  fields: MapFields,
  fail: (problem: string) => Error,
): void {
  const mapInMap = fields.type === MapType.ARRAY_OF_MAPS || fields.type === MapType.HASH_OF_MAPS;
  if (isInner) throw fail("an inner map cannot itself hold maps (multi-level map-in-map)");
  if (!isLast) throw fail("'values' must be the last attribute");
  if (!mapInMap && fields.type !== MapType.PROG_ARRAY) throw fail("'values' is only allowed in a map-in-map or a prog array, and 'type' must come before it");
  if (fields.valueSize !== 0 && fields.valueSize !== FD_VALUE_BYTES) throw fail(`value size ${fields.valueSize} conflicts with 'values', which holds ${FD_VALUE_BYTES}-byte fds`);
  fields.valueSize = FD_VALUE_BYTES;
  const array = btfType(btf, member.type, `the values of map '${mapName}'`);
  if (array.kind !== "array" || (array.array?.nelems ?? 0) !== 0) throw fail("'values' must be a zero-length array");
  const pointer = skipModsAndTypedefs(btf, array.array?.type ?? 0, `the values of map '${mapName}'`);
  if (pointer.kind !== "ptr") throw fail(`'values' holds BTF ${pointer.kind}, expected pointers`);
  const target = skipModsAndTypedefs(btf, pointer.sizeOrType, `the values of map '${mapName}'`);
  if (!mapInMap) {
    if (target.kind !== "func_proto") throw fail(`prog array 'values' point to BTF ${target.kind}, expected function prototypes`);
    return;
  }
  if (target.kind !== "struct") throw fail(`the inner map definition is BTF ${target.kind}, expected a struct`);
  const innerName = `${mapName}.inner`;
  fields.inner = toMapDef(innerName, readFields(elf, section, btf, innerName, target, true));
}

// sizeof(struct bpf_spin_lock) bits; a member's offset with kind_flag keeps the bitfield size in its top 8 bits.
const BITS_PER_BYTE = 8;
const MEMBER_OFFSET_BITS_MASK = 0xffffff;
// The struct a lock is declared as (include/uapi/linux/bpf.h); the kernel matches fields by this name.
export const SPIN_LOCK_TYPE_NAME = "bpf_spin_lock";
// Nested structs followed at most this deep (the kernel's btf_find_nested_struct bounds its recursion too).
const MAX_NESTED_STRUCT_DEPTH = 8;

// The `struct bpf_spin_lock`s the kernel finds in a value of BTF type `typeId`, by byte offset, in the
// order found (kernel/bpf/btf.c btf_find_struct_field): members of that type, and those of struct
// members, followed down (btf_find_nested_struct) with the member's offset added. A second lock among
// one struct's own members is -E2BIG (btf_get_field_type's seen mask, one per struct): undefined then.
export function spinLocksIn(btf: Btf, typeId: number, what: string, depth = 0): number[] | undefined {
  const type = skipModsAndTypedefs(btf, typeId, what);
  if (type.kind !== "struct" || depth > MAX_NESTED_STRUCT_DEPTH) return [];
  const found: number[] = [];
  let ownLocks = 0;
  for (const member of type.members ?? []) {
    // The member's own type: the kernel sees no lock behind a typedef or a qualifier (measured, Linux 6.18).
    const memberType = btfType(btf, member.type, what);
    if (memberType.kind !== "struct") continue;
    const offsetBytes = (type.kindFlag ? member.offset & MEMBER_OFFSET_BITS_MASK : member.offset) / BITS_PER_BYTE;
    if (memberType.name === SPIN_LOCK_TYPE_NAME) {
      if (++ownLocks > 1) return undefined;
      found.push(offsetBytes);
      continue;
    }
    const nested = spinLocksIn(btf, memberType.id, what, depth + 1);
    if (nested === undefined) return undefined;
    found.push(...nested.map((offset) => offsetBytes + offset));
  }
  return found;
}

// The first struct of `btf` with two locks of its own, which makes the kernel refuse the whole BTF when it
// is loaded (kernel/bpf/btf.c btf_parse_struct_metas parses every struct with a member of the lock's own
// type, without typedefs, and btf_parse_fields fails with -E2BIG);
// libbpf then creates every map of the object without BTF. undefined when there is none.
export function structWithTwoSpinLocks(btf: Btf): BtfType | undefined {
  const isLock = (member: BtfMember): boolean => {
    const type = btfType(btf, member.type, "a struct member");
    return type.kind === "struct" && type.name === SPIN_LOCK_TYPE_NAME;
  };
  return btf.types.find((type) => type.kind === "struct" && (type.members ?? []).some(isLock) && spinLocksIn(btf, type.id, `struct '${type.name}'`) === undefined);
}

// The lock offset the kernel keeps for a value holding these locks (btf_parse_fields caches each lock's
// offset in turn, so the last found is the one; measured on Linux 6.18: a lock after a struct member
// holding another is the one the verifier takes); undefined for none, or when finding them failed.
export const recordedSpinLockOffset = (locks: readonly number[] | undefined): number | undefined => locks?.at(-1);

// Where a value struct holds its `struct bpf_spin_lock`, in bytes, as the kernel records it.
const spinLockOffset = (btf: Btf, typeId: number, what: string): number | undefined => recordedSpinLockOffset(spinLocksIn(btf, typeId, what));

// An integer attribute: a pointer to an array whose element count is the value.
function intField(btf: Btf, member: BtfMember, fail: (problem: string) => Error): number {
  const pointer = skipModsAndTypedefs(btf, member.type, `attribute '${member.name}'`);
  if (pointer.kind !== "ptr") throw fail(`attribute '${member.name}' is BTF ${pointer.kind}, expected a pointer to an array (__uint)`);
  const array = btfType(btf, pointer.sizeOrType, `attribute '${member.name}'`);
  if (array.kind !== "array" || !array.array) throw fail(`attribute '${member.name}' points to BTF ${array.kind}, expected an array (__uint)`);
  return array.array.nelems;
}

function roundRingbufEntries(bytes: number): number {
  if (bytes === 0) return 0;
  const pages = bytes / PAGE_BYTES;
  if (bytes % PAGE_BYTES === 0 && (pages & (pages - 1)) === 0) return bytes;
  for (let pagesUp = 1; pagesUp * PAGE_BYTES <= 0xffffffff; pagesUp *= 2) {
    if (pagesUp * PAGE_BYTES > bytes) return pagesUp * PAGE_BYTES;
  }
  return bytes;
}

function toMapDef(name: string, f: MapFields): MapDef {
  const ringbuf = f.type === MapType.RINGBUF;
  return {
    name,
    type: f.type,
    keySize: f.keySize,
    valueSize: f.valueSize,
    maxEntries: ringbuf ? roundRingbufEntries(f.maxEntries) : perfArrayEntries(f.type, f.maxEntries),
    flags: f.flags,
    ...(f.inner ? { inner: f.inner } : {}),
    ...(f.pinning !== LIBBPF_PIN_NONE ? { pinning: f.pinning } : {}),
    ...(f.mapExtra !== 0 ? { mapExtra: f.mapExtra } : {}),
    ...(f.spinLockOffsetBytes !== undefined ? { spinLockOffsetBytes: f.spinLockOffsetBytes } : {}),
  };
}
