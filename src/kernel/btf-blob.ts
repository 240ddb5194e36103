// Editing a raw BTF blob in place or by appending a type, for the rewrites
// libbpf makes before BPF_BTF_LOAD (object-btf.ts, ksyms-btf.ts,
// btf-sanitize.ts). Layout (include/uapi/linux/btf.h): a header with hdr_len
// at byte 4 and type_off, type_len, str_off, str_len at 8..20, relative to
// the header's end; each type a 12-byte struct btf_type { name_off, info,
// size/type } and its kind's extra words. Little-endian only.
import { BTF_MAGIC, readBtf, type Btf } from "../elf/btf.ts";
import { region } from "../elf/byte-region.ts";

export const TYPE_HEADER_BYTES = 12;
// Word offsets inside struct btf_type.
export const INFO_WORD = 4;
export const SIZE_OR_TYPE_WORD = 8;
export const KIND_SHIFT = 24;
const KIND_FLAG = 1 << 31;

const Header = { hdrLen: 4, typeOff: 8, typeLen: 12, strOff: 16, strLen: 20 } as const;

// info word of struct btf_type: vlen in bits 0-15, kind in 24-28, kind_flag in 31.
export const typeInfo = (kind: number, vlen: number, kindFlag = false): number => ((kind << KIND_SHIFT) | (vlen & 0xffff) | (kindFlag ? KIND_FLAG : 0)) >>> 0;

// The blob parsed; BtfType.fileOffset is then the offset of each type inside the blob.
export const parseBlob = (blob: Uint8Array): Btf => readBtf(region("BTF blob", blob, 0, blob.length, ".BTF", true));

export const viewOf = (blob: Uint8Array): DataView => new DataView(blob.buffer, blob.byteOffset, blob.byteLength);

export interface AppendedType {
  readonly blob: Uint8Array;
  readonly id: number;
  // The name's offset in the string table.
  readonly nameOff: number;
}

// `blob` with one more type (its header and extra words in `words`, name_off left for `name`)
// after the last one and `name` after the last string; undefined unless the strings follow the
// types directly, as clang lays them out.
export function appendType(blob: Uint8Array, typeCount: number, words: readonly number[], name: string): AppendedType | undefined {
  const view = viewOf(blob);
  const headerBytes = view.getUint32(Header.hdrLen, true);
  const typeEnd = headerBytes + view.getUint32(Header.typeOff, true) + view.getUint32(Header.typeLen, true);
  if (headerBytes + view.getUint32(Header.strOff, true) !== typeEnd) return undefined;
  const nameOff = view.getUint32(Header.strLen, true);
  const nameBytes = new TextEncoder().encode(`${name}\0`);
  const typeBytes = words.length * 4;
  const out = new Uint8Array(blob.length + typeBytes + nameBytes.length);
  out.set(blob.subarray(0, typeEnd));
  out.set(blob.subarray(typeEnd), typeEnd + typeBytes);
  out.set(nameBytes, blob.length + typeBytes);
  const o = viewOf(out);
  words.forEach((word, i) => o.setUint32(typeEnd + i * 4, word >>> 0, true));
  o.setUint32(typeEnd, nameOff, true);
  o.setUint32(Header.typeLen, view.getUint32(Header.typeLen, true) + typeBytes, true);
  o.setUint32(Header.strOff, view.getUint32(Header.strOff, true) + typeBytes, true);
  o.setUint32(Header.strLen, nameOff + nameBytes.length, true);
  return { blob: out, id: typeCount, nameOff };
}

// A string table being built: offset 0 is the empty name; equal names share one offset.
export class BtfStrings {
  private readonly offsets = new Map<string, number>([["", 0]]);
  private readonly parts: Uint8Array[] = [new Uint8Array(1)];
  private length = 1;

  add(name: string): number {
    const known = this.offsets.get(name);
    if (known !== undefined) return known;
    const encoded = new TextEncoder().encode(`${name}\0`);
    const offset = this.length;
    this.parts.push(encoded);
    this.length += encoded.length;
    this.offsets.set(name, offset);
    return offset;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

const BTF_VERSION = 1;
const HEADER_BYTES = 24;

// A blob of the given type words (struct btf_type records and their extra words, ids from 1 in
// order) and strings, types first.
export function assembleBtf(words: readonly number[], strings: BtfStrings): Uint8Array {
  const stringBytes = strings.bytes();
  const typeBytes = words.length * 4;
  const blob = new Uint8Array(HEADER_BYTES + typeBytes + stringBytes.length);
  const view = viewOf(blob);
  view.setUint16(0, BTF_MAGIC, true);
  view.setUint8(2, BTF_VERSION);
  view.setUint32(Header.hdrLen, HEADER_BYTES, true);
  view.setUint32(Header.typeOff, 0, true);
  view.setUint32(Header.typeLen, typeBytes, true);
  view.setUint32(Header.strOff, typeBytes, true);
  view.setUint32(Header.strLen, stringBytes.length, true);
  words.forEach((word, i) => view.setUint32(HEADER_BYTES + i * 4, word >>> 0, true));
  blob.set(stringBytes, HEADER_BYTES + typeBytes);
  return blob;
}
