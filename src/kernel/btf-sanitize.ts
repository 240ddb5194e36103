// An object's BTF rewritten for a kernel that lacks some BTF kinds, the way
// libbpf rewrites it (libbpf.c, bpf_object__sanitize_btf), so that the maps
// and programs still get the BTF they need:
//  - no DATASEC/VAR: a VAR (and a DECL_TAG without DECL_TAG support) becomes a
//    1-byte int; a DATASEC becomes a struct of its variables, its name's '.'
//    and '?' made '_';
//  - no '?' in DATASEC names: a leading '?' becomes '_';
//  - no FUNC: a FUNC_PROTO becomes a 4-byte enum, a FUNC a typedef;
//  - no global FUNC: a global FUNC becomes static;
//  - no FLOAT: an anonymous empty struct of the same size;
//  - no TYPE_TAG: an anonymous const;
//  - no ENUM64: an enum loses its kind_flag (signedness), an ENUM64 becomes a
//    union whose members are an added 1-byte int "enum64_placeholder".
// Every rewrite keeps each type's record size, so type ids do not move.
import { BtfKind } from "../elf/btf.ts";
import { appendType, INFO_WORD, parseBlob, SIZE_OR_TYPE_WORD, TYPE_HEADER_BYTES, typeInfo, viewOf } from "./btf-blob.ts";
import type { BtfKernelSupport } from "./btf-features.ts";

const ENUM64_PLACEHOLDER = "enum64_placeholder";
// BTF_INT_ENC(encoding 0, offset 0, bits 8): the extra word of a 1-byte unsigned int.
const BYTE_INT_EXTRA = 8;
const MEMBER_BYTES = 12;
const BITS_PER_BYTE = 8;

// `blob` rewritten for `support`; undefined when a needed type cannot be added (see appendType).
export function sanitizeBtf(blob: Uint8Array, support: BtfKernelSupport): Uint8Array | undefined {
  let out: Uint8Array = blob.slice();
  let placeholderId = 0;
  if (!support.enum64 && parseBlob(out).types.some((t) => t.kind === "enum64")) {
    const added = appendType(out, parseBlob(out).types.length, [0, typeInfo(BtfKind.INT, 0), 1, BYTE_INT_EXTRA], ENUM64_PLACEHOLDER);
    if (added === undefined) return undefined;
    out = added.blob;
    placeholderId = added.id;
  }
  const btf = parseBlob(out);
  const view = viewOf(out);
  const setInfo = (at: number, info: number): void => view.setUint32(at + INFO_WORD, info, true);
  const renameChars = (nameOffset: number, name: string, replace: (index: number) => boolean): void => {
    for (let i = 0; i < name.length; i++) if (replace(i)) out[btf.strings.start + nameOffset + i] = "_".charCodeAt(0);
  };
  for (const t of btf.types) {
    const at = t.fileOffset;
    if ((!support.datasec && t.kind === "var") || (!support.declTag && t.kind === "decl_tag")) {
      setInfo(at, typeInfo(BtfKind.INT, 0));
      view.setUint32(at + SIZE_OR_TYPE_WORD, 1, true);
      view.setUint32(at + TYPE_HEADER_BYTES, BYTE_INT_EXTRA, true);
    } else if (!support.datasec && t.kind === "datasec") {
      renameChars(view.getUint32(at, true), t.name, (i) => t.name[i] === "." || t.name[i] === "?");
      setInfo(at, typeInfo(BtfKind.STRUCT, t.vlen));
      (t.secinfos ?? []).forEach((info, j) => {
        const member = at + TYPE_HEADER_BYTES + j * MEMBER_BYTES;
        const variable = btf.types[info.type];
        view.setUint32(member, variable === undefined ? 0 : view.getUint32(variable.fileOffset, true), true);
        view.setUint32(member + 4, info.type, true);
        view.setUint32(member + 8, info.offset * BITS_PER_BYTE, true);
      });
    } else if (!support.qmarkDatasec && t.kind === "datasec" && t.name.startsWith("?")) {
      renameChars(view.getUint32(at, true), t.name, (i) => i === 0);
    } else if (!support.func && t.kind === "func_proto") {
      setInfo(at, typeInfo(BtfKind.ENUM, t.vlen));
      view.setUint32(at + SIZE_OR_TYPE_WORD, 4, true);
    } else if (!support.func && t.kind === "func") {
      setInfo(at, typeInfo(BtfKind.TYPEDEF, 0));
    } else if (!support.funcGlobal && t.kind === "func") {
      setInfo(at, typeInfo(BtfKind.FUNC, 0));
    } else if (!support.float && t.kind === "float") {
      view.setUint32(at, 0, true);
      setInfo(at, typeInfo(BtfKind.STRUCT, 0));
    } else if (!support.typeTag && t.kind === "type_tag") {
      view.setUint32(at, 0, true);
      setInfo(at, typeInfo(BtfKind.CONST, 0));
    } else if (!support.enum64 && t.kind === "enum") {
      setInfo(at, typeInfo(BtfKind.ENUM, t.vlen, false));
    } else if (!support.enum64 && t.kind === "enum64") {
      setInfo(at, typeInfo(BtfKind.UNION, t.vlen));
      for (let j = 0; j < t.vlen; j++) {
        const member = at + TYPE_HEADER_BYTES + j * MEMBER_BYTES;
        view.setUint32(member + 4, placeholderId, true);
        view.setUint32(member + 8, 0, true);
      }
    }
  }
  return out;
}
