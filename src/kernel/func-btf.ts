// A minimal BTF blob that gives every function of a program a BTF_KIND_FUNC,
// for loading programs whose subprograms the kernel only accepts with func
// info (a tail call or LD_ABS inside a subprogram) when the object's own BTF
// is not at hand. Every function gets the prototype `int f(void *ctx)`: the
// kernel checks prototypes only for global functions, so the entry function
// is global (as clang marks it) and every subprogram static, which keeps the
// kernel verifying each subprogram in its caller's context, exactly as it
// does without BTF. Layout: include/uapi/linux/btf.h, Documentation/bpf/btf.rst.
import { BtfKind } from "../elf/btf.ts";
import { assembleBtf, BtfStrings, typeInfo } from "./btf-blob.ts";
import type { FuncInfo } from "./prog-load.ts";

export interface FunctionStart {
  readonly name: string;
  readonly startPc: number;
}

export interface FuncBtf {
  readonly blob: Uint8Array;
  readonly funcInfo: readonly FuncInfo[];
}

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
  const strings = new BtfStrings();
  const words: number[] = [];
  const typeHeader = (nameOff: number, kind: number, vlen: number, sizeOrType: number): void => {
    words.push(nameOff, typeInfo(kind, vlen), sizeOrType);
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
  const blob = assembleBtf(words, strings);
  return { blob, funcInfo: ordered.map((fn, i) => ({ insnOff: fn.startPc, typeId: FIRST_FUNC_ID + i })) };
}

// BTF function names must be C identifiers (kernel/bpf/btf.c, btf_name_valid_identifier).
function identifier(name: string, index: number): string {
  const cleaned = name.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `f${index}_${cleaned}`;
}
