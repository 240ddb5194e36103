// The .ksyms DATASEC made acceptable to the kernel the way libbpf makes it
// (libbpf.c, bpf_object__collect_externs and add_dummy_ksym_var): clang lists
// each __ksym extern there, a VAR of extern linkage or a FUNC (a kfunc) of
// extern linkage, both of which the kernel's BTF checker refuses ("Invalid
// func linkage", "Linkage not supported"). libbpf turns every entry into a
// 4-byte slot: a VAR becomes an allocated global of the object's 32-bit int
// type; a FUNC becomes global, its slot points to an added VAR "dummy_ksym",
// and its prototype's unnamed parameters take that VAR's name. The DATASEC's
// size becomes 4 bytes per entry.
import { BtfKind, BtfVarLinkage, type Btf } from "../elf/btf.ts";
import { appendType, INFO_WORD, parseBlob, SIZE_OR_TYPE_WORD, TYPE_HEADER_BYTES, typeInfo, viewOf } from "./btf-blob.ts";

const KSYMS_DATASEC = ".ksyms";
const DUMMY_VAR_NAME = "dummy_ksym";
// Each extern takes sizeof(int) bytes of the DATASEC.
const SLOT_BYTES = 4;
const INT_BITS = 32;
const SECINFO_BYTES = 12;
const PARAM_BYTES = 8;
const FUNC_GLOBAL = 1;

// `blob` with its .ksyms DATASEC rewritten, or `blob` itself when it has none; undefined when
// a type cannot be added to it (see appendType).
export function resolveKsymsDatasec(blob: Uint8Array): Uint8Array | undefined {
  const before = parseBlob(blob);
  if (!before.types.some((t) => t.kind === "datasec" && t.name === KSYMS_DATASEC)) return blob;
  const intId = int32Id(before, blob);
  const hasFunc = ksymsEntries(before).some((t) => t?.kind === "func");
  // The VAR goes after every existing type, so their ids and offsets stay as they were.
  const dummy = hasFunc ? appendType(blob, before.types.length, [0, typeInfo(BtfKind.VAR, 0), intId, BtfVarLinkage.GLOBAL_ALLOCATED], DUMMY_VAR_NAME) : undefined;
  if (hasFunc && dummy === undefined) return undefined;
  const out = dummy?.blob ?? blob.slice();
  const btf = parseBlob(out);
  const view = viewOf(out);
  const datasec = btf.types.find((t) => t.kind === "datasec" && t.name === KSYMS_DATASEC)!;
  const entries = ksymsEntries(btf);
  entries.forEach((entry, i) => {
    const slot = datasec.fileOffset + TYPE_HEADER_BYTES + i * SECINFO_BYTES;
    if (entry?.kind === "func" && dummy !== undefined) {
      view.setUint32(slot, dummy.id, true);
      view.setUint32(entry.fileOffset + INFO_WORD, typeInfo(BtfKind.FUNC, FUNC_GLOBAL), true);
      const proto = btf.types[entry.sizeOrType];
      proto?.params?.forEach((param, p) => {
        if (param.type !== 0 && param.name === "") view.setUint32(proto.fileOffset + TYPE_HEADER_BYTES + p * PARAM_BYTES, dummy.nameOff, true);
      });
    } else if (entry?.kind === "var") {
      view.setUint32(entry.fileOffset + SIZE_OR_TYPE_WORD, intId, true);
      view.setUint32(entry.fileOffset + TYPE_HEADER_BYTES, BtfVarLinkage.GLOBAL_ALLOCATED, true);
    }
    view.setUint32(slot + 4, i * SLOT_BYTES, true);
    view.setUint32(slot + 8, SLOT_BYTES, true);
  });
  view.setUint32(datasec.fileOffset + SIZE_OR_TYPE_WORD, entries.length * SLOT_BYTES, true);
  return out;
}

function ksymsEntries(btf: Btf) {
  const datasec = btf.types.find((t) => t.kind === "datasec" && t.name === KSYMS_DATASEC);
  return (datasec?.secinfos ?? []).map((info) => btf.types[info.type]);
}

// The first INT of 32 bits (libbpf find_int_btf_id); 0 (void) when there is none.
function int32Id(btf: Btf, blob: Uint8Array): number {
  const view = viewOf(blob);
  return btf.types.find((t) => t.kind === "int" && (view.getUint32(t.fileOffset + TYPE_HEADER_BYTES, true) & 0xff) === INT_BITS)?.id ?? 0;
}
