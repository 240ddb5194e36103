import { cString, i32, regionError, subRegion, u32, u8, type ByteRegion } from "./byte-region.ts";

// The .BTF section: type records and their string table, as laid out in the
// kernel's include/uapi/linux/btf.h (Documentation/bpf/btf.rst).

export const BTF_MAGIC = 0xeb9f;
const BTF_HEADER_MIN_BYTES = 24;
const TYPE_HEADER_BYTES = 12;
// libbpf's MAX_RESOLVE_DEPTH: a longer chain of typedefs/modifiers is treated as a loop.
export const MAX_RESOLVE_DEPTH = 32;
// BPF targets have 8-byte pointers (libbpf enforces btf__set_pointer_size(btf, 8)).
export const BPF_POINTER_BYTES = 8;

// Kind names by the kind number of struct btf_type.info (BTF_KIND_INT = 1 ... BTF_KIND_ENUM64 = 19).
const kindNames = [
  "void", "int", "ptr", "array", "struct", "union", "enum", "fwd", "typedef", "volatile",
  "const", "restrict", "func", "func_proto", "var", "datasec", "float", "decl_tag", "type_tag", "enum64",
] as const;
export type BtfKindName = (typeof kindNames)[number];

// The same kinds by their uapi name: BtfKind.INT === 1, BtfKind.UNKN === 0 (void).
export const BtfKind = Object.fromEntries(kindNames.map((name, id) => [name === "void" ? "UNKN" : name.toUpperCase(), id])) as {
  readonly [K in BtfKindName as K extends "void" ? "UNKN" : Uppercase<K>]: number;
};

// BTF_VAR_* linkage of a VAR record.
export const BtfVarLinkage = { STATIC: 0, GLOBAL_ALLOCATED: 1, GLOBAL_EXTERN: 2 } as const;

export interface BtfMember {
  readonly name: string;
  readonly type: number;
  readonly offset: number; // bits (with kind_flag: bitfield size in the top 8 bits)
}

export interface BtfParam {
  readonly name: string;
  readonly type: number;
}

export interface BtfEnumerator {
  readonly name: string;
  readonly value: bigint; // as stored: signed when the enum's kind_flag says so
}

export interface BtfVarSecinfo {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

export interface BtfType {
  readonly id: number;
  readonly kind: BtfKindName;
  readonly name: string;
  readonly vlen: number;
  readonly kindFlag: boolean;
  // `size` for int/struct/union/enum/datasec/float/enum64, the referenced type id otherwise.
  readonly sizeOrType: number;
  readonly members?: readonly BtfMember[]; // struct, union
  readonly array?: { readonly type: number; readonly indexType: number; readonly nelems: number };
  readonly linkage?: number; // var
  readonly intSigned?: boolean; // int: BTF_INT_SIGNED
  readonly params?: readonly BtfParam[]; // func_proto
  readonly enumerators?: readonly BtfEnumerator[]; // enum, enum64
  readonly secinfos?: readonly BtfVarSecinfo[]; // datasec
  readonly fileOffset: number;
}

export interface Btf {
  readonly region: ByteRegion; // the whole .BTF section
  readonly littleEndian: boolean;
  readonly types: readonly BtfType[]; // index = type id; [0] is void
  readonly strings: ByteRegion;
}

const VOID: BtfType = { id: 0, kind: "void", name: "", vlen: 0, kindFlag: false, sizeOrType: 0, fileOffset: 0 };

// The byte order of BTF data is told by its magic (libbpf accepts either order).
export function btfByteOrder(section: ByteRegion): boolean {
  const first = u8(section, 0, "BTF magic");
  const second = u8(section, 1, "BTF magic");
  if (first === (BTF_MAGIC & 0xff) && second === BTF_MAGIC >> 8) return true;
  if (first === BTF_MAGIC >> 8 && second === (BTF_MAGIC & 0xff)) return false;
  throw regionError(section, 0, `the section starts with ${first.toString(16)} ${second.toString(16)}, expected the BTF magic 0xeb9f`);
}

export function readBtf(section: ByteRegion): Btf {
  const data: ByteRegion = { ...section, littleEndian: btfByteOrder(section) };
  const version = u8(data, 2, "BTF version");
  if (version !== 1) throw regionError(data, 2, `BTF version is ${version}, expected 1`);
  const headerBytes = u32(data, 4, "BTF hdr_len");
  if (headerBytes < BTF_HEADER_MIN_BYTES) throw regionError(data, 4, `BTF hdr_len is ${headerBytes}, expected at least ${BTF_HEADER_MIN_BYTES}`);
  const typeOff = u32(data, 8, "BTF type_off");
  const typeLen = u32(data, 12, "BTF type_len");
  const strOff = u32(data, 16, "BTF str_off");
  const strLen = u32(data, 20, "BTF str_len");
  if (typeOff % 4 !== 0) throw regionError(data, 8, `BTF type_off ${typeOff} is not 4-byte aligned`);
  const typeArea = subRegion(data, headerBytes + typeOff, typeLen, "the .BTF type area");
  const strings = subRegion(data, headerBytes + strOff, strLen, "the .BTF string area");
  if (strLen === 0 || u8(strings, 0, "first BTF string") !== 0 || u8(strings, strLen - 1, "last BTF string byte") !== 0) {
    throw regionError(data, headerBytes + strOff, "the BTF string section must start and end with a NUL byte");
  }
  const types: BtfType[] = [VOID];
  for (let at = 0; at < typeLen; ) {
    const type = readType(typeArea, at, types.length, strings);
    types.push(type.record);
    at += type.bytes;
  }
  return { region: data, littleEndian: data.littleEndian, types, strings };
}

function readType(area: ByteRegion, at: number, id: number, strings: ByteRegion): { record: BtfType; bytes: number } {
  const what = (field: string): string => `${field} of BTF type [${id}]`;
  const nameOff = u32(area, at, what("name_off"));
  const info = u32(area, at + 4, what("info"));
  const sizeOrType = u32(area, at + 8, what("size/type"));
  const kindId = (info >>> 24) & 0x1f;
  const vlen = info & 0xffff;
  const kindFlag = info >>> 31 === 1;
  if (kindId === 0 || kindId >= kindNames.length) {
    throw regionError(area, at + 4, `BTF type [${id}] has kind ${kindId}, expected 1..${kindNames.length - 1}`);
  }
  const kind = kindNames[kindId];
  const base = { id, kind, name: btfName(strings, nameOff, `the name of BTF type [${id}]`), vlen, kindFlag, sizeOrType, fileOffset: area.start + at };
  const extra = at + TYPE_HEADER_BYTES;
  const repeat = <T>(entryBytes: number, read: (entryAt: number, i: number) => T): T[] => {
    subRegion(area, extra, vlen * entryBytes, `the ${kind} entries of BTF type [${id}]`);
    return Array.from({ length: vlen }, (_, i) => read(i * entryBytes, i));
  };
  switch (kind) {
    case "int":
    case "var":
    case "decl_tag": {
      const word = kind === "decl_tag" ? i32(area, extra, what("component_idx")) : u32(area, extra, what("extra word"));
      // An int's extra word: BTF_INT_ENCODING in bits 24-27, whose bit 0 is BTF_INT_SIGNED.
      const record = kind === "var" ? { ...base, linkage: word } : kind === "int" ? { ...base, intSigned: ((word >>> 24) & 1) === 1 } : base;
      return { record, bytes: TYPE_HEADER_BYTES + 4 };
    }
    case "array":
      return {
        record: {
          ...base,
          array: { type: u32(area, extra, what("array type")), indexType: u32(area, extra + 4, what("array index_type")), nelems: u32(area, extra + 8, what("array nelems")) },
        },
        bytes: TYPE_HEADER_BYTES + 12,
      };
    case "struct":
    case "union": {
      const members = repeat(12, (m, i) => ({
        name: btfName(strings, u32(area, extra + m, what(`member ${i} name_off`)), `member ${i} of BTF type [${id}]`),
        type: u32(area, extra + m + 4, what(`member ${i} type`)),
        offset: u32(area, extra + m + 8, what(`member ${i} offset`)),
      }));
      return { record: { ...base, members }, bytes: TYPE_HEADER_BYTES + vlen * 12 };
    }
    case "datasec": {
      const secinfos = repeat(12, (v, i) => ({
        type: u32(area, extra + v, what(`var ${i} type`)),
        offset: u32(area, extra + v + 4, what(`var ${i} offset`)),
        size: u32(area, extra + v + 8, what(`var ${i} size`)),
      }));
      return { record: { ...base, secinfos }, bytes: TYPE_HEADER_BYTES + vlen * 12 };
    }
    case "func_proto": {
      const params = repeat(8, (m, i) => ({
        name: btfName(strings, u32(area, extra + m, what(`param ${i} name_off`)), `param ${i} of BTF type [${id}]`),
        type: u32(area, extra + m + 4, what(`param ${i} type`)),
      }));
      return { record: { ...base, params }, bytes: TYPE_HEADER_BYTES + vlen * 8 };
    }
    case "enum": {
      const enumerators = repeat(8, (m, i) => {
        const raw = u32(area, extra + m + 4, what(`enumerator ${i} value`));
        return {
          name: btfName(strings, u32(area, extra + m, what(`enumerator ${i} name_off`)), `enumerator ${i} of BTF type [${id}]`),
          value: kindFlag ? BigInt(raw | 0) : BigInt(raw),
        };
      });
      return { record: { ...base, enumerators }, bytes: TYPE_HEADER_BYTES + vlen * 8 };
    }
    case "enum64": {
      const enumerators = repeat(12, (m, i) => {
        const bits = (BigInt(u32(area, extra + m + 8, what(`enumerator ${i} val_hi32`))) << 32n) | BigInt(u32(area, extra + m + 4, what(`enumerator ${i} val_lo32`)));
        return {
          name: btfName(strings, u32(area, extra + m, what(`enumerator ${i} name_off`)), `enumerator ${i} of BTF type [${id}]`),
          value: kindFlag ? BigInt.asIntN(64, bits) : bits,
        };
      });
      return { record: { ...base, enumerators }, bytes: TYPE_HEADER_BYTES + vlen * 12 };
    }
    case "ptr":
    case "fwd":
    case "typedef":
    case "volatile":
    case "const":
    case "restrict":
    case "func":
    case "float":
    case "type_tag":
      return { record: base, bytes: TYPE_HEADER_BYTES };
    case "void":
      throw regionError(area, at + 4, `BTF type [${id}] has kind 0, which only the implicit void type may have`);
    default: {
      const unreachable: never = kind;
      throw new Error(`unhandled BTF kind ${String(unreachable)}`);
    }
  }
}

export function btfName(strings: ByteRegion, offset: number, what: string): string {
  return offset === 0 ? "" : cString(strings, offset, what);
}

export function btfType(btf: Btf, id: number, what: string): BtfType {
  const type = btf.types[id];
  if (type === undefined) {
    throw regionError(btf.region, 0, `${what} refers to BTF type [${id}], but the BTF has only ${btf.types.length - 1} types`);
  }
  return type;
}

const isModifier = (t: BtfType): boolean =>
  t.kind === "typedef" || t.kind === "volatile" || t.kind === "const" || t.kind === "restrict" || t.kind === "type_tag";

// Follows typedefs and qualifiers to the underlying type (libbpf's skip_mods_and_typedefs).
export function skipModsAndTypedefs(btf: Btf, id: number, what: string): BtfType {
  let type = btfType(btf, id, what);
  for (let depth = 0; isModifier(type); depth++) {
    if (depth >= MAX_RESOLVE_DEPTH) throw loopError(btf, type, what);
    type = btfType(btf, type.sizeOrType, what);
  }
  return type;
}

// The size in bytes of a type (libbpf's btf__resolve_size), through typedefs,
// qualifiers, variables and arrays.
export function resolveSize(btf: Btf, id: number, what: string): number {
  let type = btfType(btf, id, what);
  let count = 1;
  for (let depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
    switch (type.kind) {
      case "int":
      case "struct":
      case "union":
      case "enum":
      case "datasec":
      case "float":
      case "enum64":
        return checkedProduct(btf, type, count, type.sizeOrType, what);
      case "ptr":
        return checkedProduct(btf, type, count, BPF_POINTER_BYTES, what);
      case "typedef":
      case "volatile":
      case "const":
      case "restrict":
      case "var":
      case "decl_tag":
      case "type_tag":
        type = btfType(btf, type.sizeOrType, what);
        break;
      case "array": {
        const nelems = type.array?.nelems ?? 0;
        count = checkedProduct(btf, type, count, nelems, what);
        type = btfType(btf, type.array?.type ?? 0, what);
        break;
      }
      case "void":
      case "fwd":
      case "func":
      case "func_proto":
        throw regionError(btf.region, type.fileOffset - btf.region.start, `${what} has no size: it resolves to BTF ${type.kind} [${type.id}]`);
      default: {
        const unreachable: never = type.kind;
        throw new Error(`unhandled BTF kind ${String(unreachable)}`);
      }
    }
  }
  throw loopError(btf, type, what);
}

const U32_MAX = 0xffffffff;

function checkedProduct(btf: Btf, type: BtfType, a: number, b: number, what: string): number {
  const product = a * b;
  if (product > U32_MAX) {
    throw regionError(btf.region, type.fileOffset - btf.region.start, `${what} is larger than 4 GiB (BTF type [${type.id}])`);
  }
  return product;
}

function loopError(btf: Btf, type: BtfType, what: string) {
  return regionError(
    btf.region,
    type.fileOffset - btf.region.start,
    `${what} goes through more than ${MAX_RESOLVE_DEPTH} typedefs or qualifiers from BTF type [${type.id}], expected a chain that ends (a loop?)`,
  );
}

export const findDatasec = (btf: Btf, name: string): BtfType | undefined =>
  btf.types.find((t) => t.kind === "datasec" && t.name === name);

