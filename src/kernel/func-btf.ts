// A minimal BTF blob that gives every function of a program a BTF_KIND_FUNC,
// for loading programs whose subprograms the kernel only accepts with func
// info (a tail call or LD_ABS inside a subprogram) when the object's own BTF
// is not at hand. Every function gets the prototype `int f(void *ctx)`: the
// kernel checks prototypes only for global functions, so the entry function
// is global (as clang marks it) and every subprogram static, which keeps the
// kernel verifying each subprogram in its caller's context, exactly as it
// does without BTF. Layout: include/uapi/linux/btf.h, Documentation/bpf/btf.rst.
import { BTF_MAGIC, BtfKind } from "../elf/btf.ts";
import type { FuncInfo } from "./prog-load.ts";

export interface FunctionStart {
  readonly name: string;
  readonly startPc: number;
}

export interface FuncBtf {
  readonly blob: Uint8Array;
  readonly funcInfo: readonly FuncInfo[];
}

const BTF_VERSION = 1;
const HEADER_BYTES = 24;
const BTF_INT_SIGNED = 1 << 0;
const INT_BITS = 32;
const INT_BYTES = 4;
const FuncLinkage = { STATIC: 0, GLOBAL: 1 } as const;
// Type ids: 0 is void, then the records in the order written below.
const INT_ID = 1;
const VOID_PTR_ID = 2;
const PROTO_ID = 3;
const FIRST_FUNC_ID = 4;

export function staticFuncBtf(functions: readonly FunctionStart[]): FuncBtf {
  const strings = new StringTable();
  const words: number[] = [];
  const typeHeader = (nameOff: number, kind: number, vlen: number, sizeOrType: number): void => {
    words.push(nameOff, ((kind & 0x1f) << 24) | (vlen & 0xffff), sizeOrType);
  };
  typeHeader(strings.add("int"), BtfKind.INT, 0, INT_BYTES);
  words.push((BTF_INT_SIGNED << 24) | INT_BITS);
  typeHeader(0, BtfKind.PTR, 0, 0);
  typeHeader(0, BtfKind.FUNC_PROTO, 1, INT_ID);
  words.push(strings.add("ctx"), VOID_PTR_ID);
  const ordered = [...functions].sort((a, b) => a.startPc - b.startPc);
  ordered.forEach((fn, i) => {
    typeHeader(strings.add(identifier(fn.name, i)), BtfKind.FUNC, i === 0 ? FuncLinkage.GLOBAL : FuncLinkage.STATIC, PROTO_ID);
  });
  const typeBytes = words.length * 4;
  const stringBytes = strings.bytes();
  const blob = new Uint8Array(HEADER_BYTES + typeBytes + stringBytes.length);
  const view = new DataView(blob.buffer);
  view.setUint16(0, BTF_MAGIC, true);
  view.setUint8(2, BTF_VERSION);
  view.setUint8(3, 0);
  view.setUint32(4, HEADER_BYTES, true);
  view.setUint32(8, 0, true); // type_off, relative to the end of the header
  view.setUint32(12, typeBytes, true);
  view.setUint32(16, typeBytes, true); // str_off
  view.setUint32(20, stringBytes.length, true);
  words.forEach((word, i) => view.setUint32(HEADER_BYTES + i * 4, word >>> 0, true));
  blob.set(stringBytes, HEADER_BYTES + typeBytes);
  return { blob, funcInfo: ordered.map((fn, i) => ({ insnOff: fn.startPc, typeId: FIRST_FUNC_ID + i })) };
}

// BTF function names must be C identifiers (kernel/bpf/btf.c, btf_name_valid_identifier).
function identifier(name: string, index: number): string {
  const cleaned = name.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `f${index}_${cleaned}`;
}

class StringTable {
  private readonly parts: Uint8Array[] = [new Uint8Array(1)];
  private length = 1;
  private readonly offsets = new Map<string, number>();

  add(text: string): number {
    const known = this.offsets.get(text);
    if (known !== undefined) return known;
    const encoded = new TextEncoder().encode(`${text}\0`);
    const offset = this.length;
    this.parts.push(encoded);
    this.length += encoded.length;
    this.offsets.set(text, offset);
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
