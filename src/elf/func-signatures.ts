import { btfType, resolveSize, skipModsAndTypedefs, type Btf } from "./btf.ts";
import { ElfError } from "./errors.ts";

// What the kernel makes of a function's BTF prototype when the function is
// global, so verified on its own (kernel/bpf/btf.c btf_prepare_func_args): an
// int or enum argument is a scalar, a pointer to the program's context struct
// is the context, a pointer to anything of known size is memory of that size
// that may be NULL; anything else the kernel refuses.

// BTF FUNC linkage (include/uapi/linux/btf.h enum btf_func_linkage).
const FuncLinkage = { STATIC: 0, GLOBAL: 1, EXTERN: 2 } as const;
// MAX_BPF_FUNC_REG_ARGS: r1-r5.
const MAX_ARGS = 5;
// The context struct of XDP programs (the kernel's btf_is_prog_ctx_type names it per program type).
const XDP_CTX_STRUCT = "xdp_md";

export type FuncArg =
  | { readonly kind: "scalar" }
  | { readonly kind: "ctx" }
  | { readonly kind: "mem"; readonly sizeBytes: number }
  | { readonly kind: "unsupported"; readonly reason: string };

export interface FunctionSignature {
  readonly args: readonly FuncArg[];
  // A global function must return an int or enum; anything else is named in `unsupported`.
  readonly returnsScalar: boolean;
  readonly unsupported?: string;
}

export interface FunctionLinkage {
  readonly global: boolean;
  readonly signature?: FunctionSignature;
}

// The BTF FUNC named `name` (clang writes one per defined function), its linkage and prototype.
export function functionLinkage(btf: Btf, name: string): FunctionLinkage | undefined {
  const func = btf.types.find((t) => t.kind === "func" && t.name === name);
  if (func === undefined) return undefined;
  const global = func.vlen === FuncLinkage.GLOBAL;
  if (!global) return { global };
  try {
    return { global, signature: signatureOf(btf, func.sizeOrType, name) };
  } catch (failure) {
    if (!(failure instanceof ElfError)) throw failure;
    return { global, signature: { args: [], returnsScalar: false, unsupported: failure.message } };
  }
}

function signatureOf(btf: Btf, protoId: number, name: string): FunctionSignature {
  const proto = btfType(btf, protoId, `the prototype of ${name}()`);
  if (proto.kind !== "func_proto") return { args: [], returnsScalar: false, unsupported: `BTF type [${protoId}] of ${name}() is a ${proto.kind}, expected a func_proto` };
  const params = proto.params ?? [];
  if (params.length > MAX_ARGS) return { args: [], returnsScalar: false, unsupported: `${name}() has ${params.length} arguments, more than the ${MAX_ARGS} registers` };
  const ret = skipModsAndTypedefs(btf, proto.sizeOrType, `the return type of ${name}()`);
  const returnsScalar = ret.kind === "int" || ret.kind === "enum" || ret.kind === "enum64";
  const args = params.map((param, i) => argOf(btf, param.type, `argument ${i + 1} of ${name}()`));
  const bad = args.find((a): a is Extract<FuncArg, { kind: "unsupported" }> => a.kind === "unsupported");
  const unsupported = bad?.reason ?? (returnsScalar ? undefined : `${name}() returns a BTF ${ret.kind}, and global functions must return an int or enum`);
  return { args, returnsScalar, ...(unsupported !== undefined ? { unsupported } : {}) };
}

function argOf(btf: Btf, typeId: number, what: string): FuncArg {
  const t = skipModsAndTypedefs(btf, typeId, what);
  if (t.kind === "int" || t.kind === "enum" || t.kind === "enum64") return { kind: "scalar" };
  if (t.kind !== "ptr") return { kind: "unsupported", reason: `${what} is a BTF ${t.kind}, expected an int, enum or pointer` };
  const target = skipModsAndTypedefs(btf, t.sizeOrType, what);
  if (target.kind === "struct" && target.name === XDP_CTX_STRUCT) return { kind: "ctx" };
  try {
    return { kind: "mem", sizeBytes: resolveSize(btf, target.id, what) };
  } catch (failure) {
    if (!(failure instanceof ElfError)) throw failure;
    return { kind: "unsupported", reason: `${what} points to a type whose size cannot be determined (BTF ${target.kind} [${target.id}])` };
  }
}
