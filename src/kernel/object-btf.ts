// An object's own .BTF made ready for BPF_BTF_LOAD, and the BTF type ids its
// maps are created with, the way libbpf prepares them before creating maps:
//  - clang leaves every DATASEC's size and its variables' offsets 0; the
//    kernel refuses such a DATASEC, so the size comes from the ELF section of
//    that name and each global variable's offset from its ELF symbol, a
//    hidden or internal symbol makes its VAR static, and the variables are
//    sorted by offset (libbpf.c, btf_fixup_datasec);
//  - a map of SEC(".maps") has as key and value types the types its `key`
//    and `value` members point to (parse_btf_map_def), an inner map template
//    likewise from the struct its `values` array points to; a global data map
//    (.data, .rodata, .bss) has no key type and its DATASEC as value type
//    (map_fill_btf_type_info);
//  - a global subprogram whose symbol is hidden gets a static FUNC (mark_btf_static),
//    and .ksyms is rewritten as libbpf's extern resolution does (ksyms-btf.ts);
//  - each function's FUNC id, for func info, and the string offsets, for line info.
// The kernel needs map BTF for values holding a bpf_spin_lock, bpf_timer,
// kptrs and the like ("map has to have BTF in order to use bpf_spin_lock").
// src/elf owns reading the object; this file only reads what it needs anew.
import { slice } from "../elf/byte-region.ts";
import { btfType, BtfKind, BtfVarLinkage, findDatasec, readBtf, skipModsAndTypedefs, type Btf, type BtfType } from "../elf/btf.ts";
import { STB, STT, STV } from "../elf/elf-constants.ts";
import { contents, readElf, type ElfFile } from "../elf/elf-file.ts";
import { layoutOf } from "../elf/object-layout.ts";
import { INFO_WORD, SIZE_OR_TYPE_WORD, TYPE_HEADER_BYTES, typeInfo } from "./btf-blob.ts";
import { resolveKsymsDatasec } from "./ksyms-btf.ts";

export interface MapBtfIds {
  // 0: no key type (global data maps).
  readonly keyTypeId: number;
  readonly valueTypeId: number;
}

export interface ObjectBtf {
  // The .BTF section with the fixes above applied, in the object's (little-endian) byte order.
  readonly blob: Uint8Array;
  // By MapDef name: a .maps variable's name, "<outer>.inner" for an inner map template
  // (as src/elf/btf-maps.ts names it), the section name for global data.
  readonly mapTypeIds: ReadonlyMap<string, MapBtfIds>;
  // The BTF FUNC of each function by name, for a program's func info (BpfProgram.functions).
  readonly funcTypeIds: ReadonlyMap<string, number>;
  // Each string of the string table at its offset there, for line info (file names, source lines).
  readonly stringOffsets: ReadonlyMap<string, number>;
  // The section as clang wrote it, as BpfObject.btf summarizes it: to tell that a file read
  // again is the one the object was loaded from.
  readonly typeCount: number;
  readonly stringBytes: number;
}

// Layout facts from include/uapi/linux/btf.h: the 12-byte struct btf_type, then
// per kind data; a DATASEC's size is its third word, each btf_var_secinfo is
// { type, offset, size } (12 bytes); a VAR's linkage is the word after its header.
// A FUNC's linkage is its vlen (enum btf_func_linkage).
const FuncLinkage = { STATIC: 0, GLOBAL: 1 } as const;
const SECINFO_BYTES = 12;
const SECINFO_OFFSET_WORD = 4;

// undefined when the object has no .BTF (or big-endian BTF, which this loader does not byte-swap).
// Throws ElfError when the object is malformed; the caller then loads without BTF, as libbpf
// does when BTF is optional.
export function prepareObjectBtf(bytes: Uint8Array, fileName: string): ObjectBtf | undefined {
  const elf = readElf(bytes, fileName);
  const layout = layoutOf(elf);
  if (layout.btf === undefined) return undefined;
  const section = contents(elf, layout.btf);
  const btf = readBtf(section);
  if (!btf.littleEndian) return undefined;
  const blob = slice(section).slice();
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const blobOffset = (t: BtfType): number => t.fileOffset - section.start;
  const funcTypeIds = new Map<string, number>();
  for (const type of btf.types) {
    if (type.kind === "datasec") fixDatasec(elf, btf, type, view, blobOffset);
    if (type.kind === "func") {
      funcTypeIds.set(type.name, type.id);
      if (isHiddenSubprogram(elf, layout.text?.index, type)) view.setUint32(blobOffset(type) + INFO_WORD, typeInfo(BtfKind.FUNC, FuncLinkage.STATIC), true);
    }
  }
  // Extern-backing .ksyms as libbpf rewrites it; .kconfig is left to the kernel to refuse.
  const ready = resolveKsymsDatasec(blob) ?? blob;
  const mapTypeIds = new Map<string, MapBtfIds>();
  if (layout.btfMaps !== undefined) collectBtfMapIds(btf, mapTypeIds);
  for (const { section: data } of layout.data) {
    const datasec = findDatasec(btf, data.name);
    if (datasec !== undefined) mapTypeIds.set(data.name, { keyTypeId: 0, valueTypeId: datasec.id });
  }
  return {
    blob: ready,
    mapTypeIds,
    funcTypeIds,
    stringOffsets: stringOffsets(slice(btf.strings)),
    typeCount: btf.types.length - 1,
    stringBytes: btf.strings.length,
  };
}

// A global subprogram (in .text) whose symbol is hidden is verified as a static one: libbpf
// rewrites its FUNC's linkage (bpf_object__sanitize_and_load_btf, mark_btf_static).
function isHiddenSubprogram(elf: ElfFile, textIndex: number | undefined, func: BtfType): boolean {
  if (textIndex === undefined || func.vlen !== FuncLinkage.GLOBAL) return false;
  const symbol = elf.symbolTable.symbols.find((s) => s.type === STT.FUNC && s.sectionIndex === textIndex && s.name === func.name);
  return symbol !== undefined && symbol.bind !== STB.LOCAL && (symbol.visibility === STV.HIDDEN || symbol.visibility === STV.INTERNAL);
}

// Extern-backing DATASECs get their sizes and offsets from extern resolution (ksyms-btf.ts), not from the ELF.
const EXTERN_DATASECS: ReadonlySet<string> = new Set([".kconfig", ".ksyms"]);

function fixDatasec(elf: ElfFile, btf: Btf, datasec: BtfType, view: DataView, blobOffset: (type: BtfType) => number): void {
  const at = blobOffset(datasec);
  if (EXTERN_DATASECS.has(datasec.name)) return;
  let fixOffsets = false;
  if (datasec.sizeOrType === 0) {
    const section = elf.sections.find((s) => s.name === datasec.name);
    // libbpf gives up on the object here; the kernel will refuse the size-0 DATASEC and maps go without BTF.
    if (section === undefined || section.size === 0) return;
    view.setUint32(at + SIZE_OR_TYPE_WORD, section.size, true);
    fixOffsets = true;
  }
  const secinfos = (datasec.secinfos ?? []).map((info) => ({ ...info }));
  for (const [i, info] of secinfos.entries()) {
    const variable = btf.types[info.type];
    if (variable === undefined || variable.kind !== "var") return;
    if (variable.linkage === BtfVarLinkage.STATIC || variable.linkage === BtfVarLinkage.GLOBAL_EXTERN) continue;
    const symbol = elf.symbolTable.symbols.find(
      (s) => s.type === STT.OBJECT && (s.bind === STB.GLOBAL || s.bind === STB.WEAK) && s.name === variable.name,
    );
    if (symbol === undefined) return;
    if (fixOffsets) secinfos[i].offset = symbol.value;
    if (symbol.visibility === STV.HIDDEN || symbol.visibility === STV.INTERNAL) {
      view.setUint32(blobOffset(variable) + TYPE_HEADER_BYTES, BtfVarLinkage.STATIC, true);
    }
  }
  secinfos.sort((a, b) => a.offset - b.offset);
  secinfos.forEach((info, i) => {
    const entry = at + TYPE_HEADER_BYTES + i * SECINFO_BYTES;
    view.setUint32(entry, info.type, true);
    view.setUint32(entry + SECINFO_OFFSET_WORD, info.offset, true);
    view.setUint32(entry + 2 * SECINFO_OFFSET_WORD, info.size, true);
  });
}

function collectBtfMapIds(btf: Btf, into: Map<string, MapBtfIds>): void {
  const datasec = findDatasec(btf, ".maps");
  for (const info of datasec?.secinfos ?? []) {
    const variable = btf.types[info.type];
    if (variable === undefined || variable.kind !== "var") continue;
    const def = skipModsAndTypedefs(btf, variable.sizeOrType, `map '${variable.name}'`);
    if (def.kind !== "struct") continue;
    into.set(variable.name, memberTypeIds(btf, def));
    const values = def.members?.find((m) => m.name === "values");
    const inner = values === undefined ? undefined : innerDefinition(btf, values.type);
    if (inner !== undefined) into.set(`${variable.name}.inner`, memberTypeIds(btf, inner));
  }
}

// The types a definition's `key` and `value` pointers point to (0 where the definition gives only a size).
function memberTypeIds(btf: Btf, def: BtfType): MapBtfIds {
  const pointee = (name: string): number => {
    const member = def.members?.find((m) => m.name === name);
    if (member === undefined) return 0;
    const pointer = btfType(btf, member.type, `the ${name} of a map definition`);
    return pointer.kind === "ptr" ? pointer.sizeOrType : 0;
  };
  return { keyTypeId: pointee("key"), valueTypeId: pointee("value") };
}

// `values` of a map-in-map: a zero-length array of pointers to the inner map's definition struct.
function innerDefinition(btf: Btf, arrayId: number): BtfType | undefined {
  const array = btfType(btf, arrayId, "the values of a map definition");
  if (array.kind !== "array" || array.array === undefined) return undefined;
  const pointer = skipModsAndTypedefs(btf, array.array.type, "the values of a map definition");
  if (pointer.kind !== "ptr") return undefined;
  const target = skipModsAndTypedefs(btf, pointer.sizeOrType, "the values of a map definition");
  return target.kind === "struct" ? target : undefined;
}

function stringOffsets(table: Uint8Array): Map<string, number> {
  const offsets = new Map<string, number>();
  const decoder = new TextDecoder();
  for (let start = 0; start < table.length; ) {
    const end = table.indexOf(0, start);
    const stop = end < 0 ? table.length : end;
    const text = decoder.decode(table.subarray(start, stop));
    if (!offsets.has(text)) offsets.set(text, start);
    start = stop + 1;
  }
  return offsets;
}
