import type { Insn } from "../ebpf/instruction.ts";
import { Class, INSN_BYTES, LDDW, opClass, opSource, Source } from "../ebpf/opcode.ts";
import { regionError, subRegion, u32, type ByteRegion } from "./byte-region.ts";
import { btfName, btfType, resolveSize, skipModsAndTypedefs, type Btf, type BtfType } from "./btf.ts";
import type { ElfError } from "./errors.ts";

// CO-RE relocations (.BTF.ext core_relo, struct bpf_core_relo in
// include/uapi/linux/bpf.h): each names an instruction, a root BTF type of
// the object, an access string ("0:1:2": array index on the root, then member
// or element indices) and a kind. libbpf computes each value twice, against
// the object's own BTF (what clang compiled in) and against the target
// kernel's, checks the instruction holds the first and patches in the second
// (tools/lib/bpf/relo_core.c). This loader's target is the object's own BTF:
// right for objects built against the running kernel's vmlinux.h, which is
// how the fixtures and most deployments build; so it computes the value,
// checks the instruction holds it, and leaves the instruction as it is.

// enum bpf_core_relo_kind, in its order.
export const coreKindNames = [
  "field_byte_offset", "field_byte_size", "field_exists", "field_signed", "field_lshift_u64", "field_rshift_u64",
  "type_id_local", "type_id_target", "type_exists", "type_size", "enumval_exists", "enumval_value", "type_matches",
] as const;
export type CoreKindName = (typeof coreKindNames)[number];

const CORE_RELO_MIN_BYTES = 16;
// struct btf_member.offset with kind_flag: bitfield size in the top 8 bits, bit offset in the low 24.
const BITFIELD_SIZE_SHIFT = 24;
const BIT_OFFSET_MASK = 0xffffff;
// libbpf's BPF_CORE_SPEC_MAX_LEN: the longest access string it accepts.
const MAX_ACCESS_DEPTH = 64;

export interface CoreRecord {
  readonly sectionName: string;
  readonly insnOffsetBytes: number;
  readonly typeId: number;
  readonly accessString: string;
  readonly kind: number;
}

export interface CoreRelocation {
  readonly section: string;
  readonly insnIndex: number; // slot within the section
  readonly kind: CoreKindName;
  readonly typeName: string; // "struct iphdr", "enum xdp_action"
  readonly accessString: string;
  readonly accessPath: string; // "iphdr.saddr", "xdp_action::XDP_REDIRECT"
  readonly value: number; // the value against the object's own BTF, which the instruction holds
}

// The raw records of the core_relo block (its offset and length were read from the .BTF.ext header).
export function readCoreRecords(block: ByteRegion, btf: Btf): CoreRecord[] {
  if (block.length === 0) return [];
  const recordBytes = u32(block, 0, "core_relo record size");
  if (recordBytes < CORE_RELO_MIN_BYTES || recordBytes % 4 !== 0) {
    throw regionError(block, 0, `core_relo record size is ${recordBytes}, expected a multiple of 4 of at least ${CORE_RELO_MIN_BYTES}`);
  }
  const out: CoreRecord[] = [];
  for (let at = 4; at < block.length; ) {
    const sectionName = btfName(btf.strings, u32(block, at, "core_relo sec_name_off"), "a core_relo section name");
    const count = u32(block, at + 4, "core_relo num_info");
    const records = subRegion(block, at + 8, count * recordBytes, `the core_relo records of '${sectionName}'`);
    for (let i = 0; i < count; i++) {
      const r = i * recordBytes;
      out.push({
        sectionName,
        insnOffsetBytes: u32(records, r, "core_relo insn_off"),
        typeId: u32(records, r + 4, "core_relo type_id"),
        accessString: btfName(btf.strings, u32(records, r + 8, "core_relo access_str_off"), "a core_relo access string"),
        kind: u32(records, r + 12, "core_relo kind"),
      });
    }
    at += 8 + count * recordBytes;
  }
  return out;
}

// What one record asks for, computed against `btf`; throws ElfError (via `fail`) when the record cannot be.
export function resolveCoreRecord(btf: Btf, record: CoreRecord, littleEndian: boolean, fail: (problem: string) => ElfError): Omit<CoreRelocation, "section" | "insnIndex"> {
  const kind = coreKindNames[record.kind];
  if (kind === undefined) throw fail(`CO-RE relocation kind ${record.kind} is unknown (libbpf knows 0..${coreKindNames.length - 1})`);
  const root = btfType(btf, record.typeId, "a CO-RE relocation's type");
  const typeName = `${root.kind === "struct" || root.kind === "union" || root.kind === "enum" || root.kind === "enum64" ? `${root.kind === "enum64" ? "enum" : root.kind} ` : ""}${root.name || `[${root.id}]`}`;
  const indices = parseAccess(record.accessString, fail);
  const base = { kind, typeName, accessString: record.accessString };
  switch (kind) {
    case "type_id_local":
    case "type_id_target":
      return { ...base, accessPath: root.name, value: root.id };
    case "type_exists":
    case "type_matches":
      return { ...base, accessPath: root.name, value: 1 };
    case "type_size":
      return { ...base, accessPath: root.name, value: resolveSize(btf, root.id, `the CO-RE type ${typeName}`) };
    case "enumval_exists":
    case "enumval_value": {
      const e = skipModsAndTypedefs(btf, root.id, "a CO-RE enum");
      const enumerator = e.enumerators?.[indices[0] ?? -1];
      if (enumerator === undefined) throw fail(`access '${record.accessString}' names no enumerator of ${typeName}`);
      return { ...base, accessPath: `${root.name}::${enumerator.name}`, value: kind === "enumval_exists" ? 1 : Number(BigInt.asIntN(32, enumerator.value)) };
    }
    default: {
      const field = walkField(btf, root, indices, fail);
      return { ...base, accessPath: field.path, value: fieldValue(kind, field, littleEndian, fail) };
    }
  }
}

function parseAccess(text: string, fail: (problem: string) => ElfError): number[] {
  const parts = text.split(":");
  if (text === "" || parts.length > MAX_ACCESS_DEPTH || parts.some((p) => !/^\d+$/.test(p))) {
    throw fail(`CO-RE access string '${text}' is not a ':'-separated list of at most ${MAX_ACCESS_DEPTH} indices`);
  }
  return parts.map(Number);
}

interface FieldSpot {
  readonly path: string;
  readonly bitOffset: number;
  readonly bitSize: number; // 0 unless a bitfield
  readonly sizeBytes: number;
  readonly type: BtfType;
}

// bpf_core_parse_spec: the first index steps over whole root objects, each next one into a member or element.
function walkField(btf: Btf, root: BtfType, indices: readonly number[], fail: (problem: string) => ElfError): FieldSpot {
  const rootSize = resolveSize(btf, root.id, "a CO-RE root type");
  let bitOffset = indices[0] * rootSize * 8;
  let bitSize = 0;
  let type = skipModsAndTypedefs(btf, root.id, "a CO-RE root type");
  let path = root.name || `[${root.id}]`;
  for (const index of indices.slice(1)) {
    if (type.kind === "struct" || type.kind === "union") {
      const member = type.members?.[index];
      if (member === undefined) throw fail(`access index ${index} is past the ${type.members?.length ?? 0} members of ${type.kind} ${type.name}`);
      bitOffset += type.kindFlag ? member.offset & BIT_OFFSET_MASK : member.offset;
      bitSize = type.kindFlag ? member.offset >>> BITFIELD_SIZE_SHIFT : 0;
      path += member.name ? `.${member.name}` : `.<anon ${index}>`;
      type = skipModsAndTypedefs(btf, member.type, "a CO-RE member");
    } else if (type.kind === "array" && type.array) {
      bitOffset += index * resolveSize(btf, type.array.type, "a CO-RE array element") * 8;
      bitSize = 0;
      path += `[${index}]`;
      type = skipModsAndTypedefs(btf, type.array.type, "a CO-RE array element");
    } else {
      throw fail(`access index ${index} steps into BTF ${type.kind} [${type.id}], which has no members or elements`);
    }
  }
  return { path, bitOffset, bitSize, sizeBytes: resolveSize(btf, type.id, "a CO-RE field"), type };
}

// bpf_core_calc_field_relo.
function fieldValue(kind: CoreKindName, f: FieldSpot, littleEndian: boolean, fail: (problem: string) => ElfError): number {
  const bitfield = f.bitSize > 0;
  let byteSize = f.sizeBytes;
  let byteOffset = bitfield ? Math.floor(f.bitOffset / 8 / byteSize) * byteSize : Math.floor(f.bitOffset / 8);
  const bitSize = bitfield ? f.bitSize : byteSize * 8;
  while (bitfield && f.bitOffset + f.bitSize - byteOffset * 8 > byteSize * 8) {
    if (byteSize >= 8) throw fail(`the bitfield ${f.path} cannot be read with one 64-bit load`);
    byteSize *= 2;
    byteOffset = Math.floor(f.bitOffset / 8 / byteSize) * byteSize;
  }
  switch (kind) {
    case "field_byte_offset":
      return byteOffset;
    case "field_byte_size":
      return byteSize;
    case "field_exists":
      return 1;
    case "field_signed":
      return isSigned(f.type) ? 1 : 0;
    case "field_lshift_u64":
      return littleEndian ? 64 - (f.bitOffset + bitSize - byteOffset * 8) : (8 - byteSize) * 8 + (f.bitOffset - byteOffset * 8);
    case "field_rshift_u64":
      return 64 - bitSize;
    default:
      throw fail(`CO-RE kind ${kind} is not a field kind`);
  }
}

// An int says so in BTF_INT_ENCODING; an enum in its kind_flag.
function isSigned(t: BtfType): boolean {
  if (t.kind === "enum" || t.kind === "enum64") return t.kindFlag;
  return t.kind === "int" && t.intSigned === true;
}

// The value slot of the instruction a CO-RE record patches (bpf_core_patch_insn): an ALU immediate,
// a load/store offset, or a 64-bit immediate.
export function patchedValue(insns: readonly Insn[], slot: number): { readonly value: number | bigint; readonly field: string } | undefined {
  const insn = insns[slot];
  if (insn === undefined) return undefined;
  const cls = opClass(insn.opcode);
  if (cls === Class.ALU || cls === Class.ALU64) return opSource(insn.opcode) === Source.K ? { value: insn.imm, field: "imm" } : undefined;
  if (cls === Class.LDX || cls === Class.ST || cls === Class.STX) return { value: insn.off, field: "off" };
  if (insn.opcode === LDDW && insns[slot + 1] !== undefined) {
    return { value: (BigInt(insns[slot + 1].imm >>> 0) << 32n) | BigInt(insn.imm >>> 0), field: "imm64" };
  }
  return undefined;
}

export const coreSlot = (record: CoreRecord): number => record.insnOffsetBytes / INSN_BYTES;
