import { existsSync, readFileSync } from "node:fs";
import { OffloadSimError } from "../errors.ts";
import { region } from "./byte-region.ts";
import { btfType, readBtf, skipModsAndTypedefs, type Btf, type BtfType } from "./btf.ts";

// The running kernel's BTF (or a copy of it in a file) as the place where
// kernel functions (kfuncs) and kernel variables (__ksym) are found by name,
// the way libbpf's bpf_object__resolve_ksyms finds them: a kfunc is a
// BTF_KIND_FUNC whose type is a FUNC_PROTO, a typed ksym a BTF_KIND_VAR.

// Where the kernel exposes its own BTF (CONFIG_DEBUG_INFO_BTF, kernel/bpf/sysfs_btf.c).
export const DEFAULT_KERNEL_BTF_PATH = "/sys/kernel/btf/vmlinux";

export class KernelBtfError extends OffloadSimError {}

// A type as a kfunc check needs it: typedefs and qualifiers followed, pointers one level deep.
export type KernelType =
  | { readonly kind: "void" }
  | { readonly kind: "int"; readonly bytes: number; readonly signed: boolean }
  | { readonly kind: "enum"; readonly bytes: number }
  | { readonly kind: "struct" | "union"; readonly btfId: number; readonly name: string; readonly bytes: number }
  | { readonly kind: "pointer"; readonly pointee: KernelType }
  | { readonly kind: "other"; readonly btfKind: string; readonly name: string }; // fwd, func_proto, array, float...

export interface KernelParam {
  readonly name: string; // the kernel reads suffixes such as __sz, __szk, __k, __opt, __nullable from it
  readonly type: KernelType;
  readonly text: string; // as C would write it: "const struct xdp_md *"
}

export interface KernelFunc {
  readonly name: string;
  readonly btfId: number; // of the BTF_KIND_FUNC: what a kfunc call's imm carries
  readonly params: readonly KernelParam[];
  readonly returns: KernelType;
  readonly returnText: string;
  readonly prototype: string; // "int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, u32 *hash, ...)"
}

export interface KernelVar {
  readonly name: string;
  readonly btfId: number; // of the BTF_KIND_VAR: what a typed ksym's ld_imm64 carries
  readonly type: KernelType;
  readonly typeText: string;
}

export interface KernelBtf {
  readonly path: string;
  readonly btf: Btf;
  findFunc(name: string): KernelFunc | undefined;
  // The FUNC with this id (what an assembled `call kfunc N` carries), if it is one.
  findFuncById(btfId: number): KernelFunc | undefined;
  findVar(name: string): KernelVar | undefined;
}

const cache = new Map<string, KernelBtf>();

// The kernel BTF at `path` (default: the running kernel's), read once per process.
export function readKernelBtf(path: string = DEFAULT_KERNEL_BTF_PATH): KernelBtf {
  const cached = cache.get(path);
  if (cached) return cached;
  if (!existsSync(path)) {
    throw new KernelBtfError(`no kernel BTF at ${path} (a kernel built with CONFIG_DEBUG_INFO_BTF has ${DEFAULT_KERNEL_BTF_PATH}; give a copy with --kernel-btf FILE)`, { file: path });
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (failure) {
    throw new KernelBtfError(`the kernel BTF at ${path} cannot be read: ${(failure as Error).message}`, { file: path });
  }
  const btf = readBtf(region(path, bytes, 0, bytes.length, "the kernel BTF", true));
  const kernelBtf = indexKernelBtf(path, btf);
  cache.set(path, kernelBtf);
  return kernelBtf;
}

// The kernel BTF if the file exists, undefined otherwise (for views that can do without it).
export function tryKernelBtf(path: string = DEFAULT_KERNEL_BTF_PATH): KernelBtf | undefined {
  return existsSync(path) ? readKernelBtf(path) : undefined;
}

export function indexKernelBtf(path: string, btf: Btf): KernelBtf {
  const funcs = new Map<string, number>();
  const vars = new Map<string, number>();
  for (const type of btf.types) {
    if (type.kind === "func" && !funcs.has(type.name)) funcs.set(type.name, type.id);
    else if (type.kind === "var" && !vars.has(type.name)) vars.set(type.name, type.id);
  }
  return {
    path,
    btf,
    findFunc: (name) => {
      const id = funcs.get(name);
      return id === undefined ? undefined : kernelFunc(btf, btfType(btf, id, `kfunc ${name}`));
    },
    findFuncById: (btfId) => {
      const type = btf.types[btfId];
      return type?.kind === "func" ? kernelFunc(btf, type) : undefined;
    },
    findVar: (name) => {
      const id = vars.get(name);
      if (id === undefined) return undefined;
      const what = `ksym ${name}`;
      const variable = btfType(btf, id, what);
      return { name, btfId: id, type: kernelType(btf, variable.sizeOrType, what), typeText: typeText(btf, variable.sizeOrType, what) };
    },
  };
}

// The kfunc `name`, or a KernelBtfError saying it is not there.
export function requireKfunc(kernel: KernelBtf, name: string): KernelFunc {
  const found = kernel.findFunc(name);
  if (!found) throw new KernelBtfError(`kfunc ${name} is not in the kernel BTF at ${kernel.path}`, { file: kernel.path });
  return found;
}

export function requireKsym(kernel: KernelBtf, name: string): KernelVar {
  const found = kernel.findVar(name);
  if (!found) throw new KernelBtfError(`ksym ${name} is not a variable of the kernel BTF at ${kernel.path}`, { file: kernel.path });
  return found;
}

function kernelFunc(btf: Btf, func: BtfType): KernelFunc {
  const what = `kfunc ${func.name}`;
  const proto = btfType(btf, func.sizeOrType, what);
  if (proto.kind !== "func_proto") {
    throw new KernelBtfError(`BTF FUNC [${func.id}] ${func.name} has type [${proto.id}] of kind ${proto.kind}, expected a func_proto`);
  }
  const params = (proto.params ?? []).map((p) => ({ name: p.name, type: kernelType(btf, p.type, what), text: typeText(btf, p.type, what) }));
  const returnText = typeText(btf, proto.sizeOrType, what);
  const paramText = params.length === 0 ? "void" : params.map((p) => (p.text.endsWith("*") ? `${p.text}${p.name}` : `${p.text} ${p.name}`)).join(", ");
  const head = returnText.endsWith("*") ? `${returnText}${func.name}` : `${returnText} ${func.name}`;
  return { name: func.name, btfId: func.id, params, returns: kernelType(btf, proto.sizeOrType, what), returnText, prototype: `${head}(${paramText})` };
}

export function kernelType(btf: Btf, id: number, what: string, depth = 0): KernelType {
  const type = skipModsAndTypedefs(btf, id, what);
  switch (type.kind) {
    case "void":
      return { kind: "void" };
    case "int":
      return { kind: "int", bytes: type.sizeOrType, signed: type.intSigned ?? false };
    case "enum":
    case "enum64":
      return { kind: "enum", bytes: type.sizeOrType };
    case "struct":
    case "union":
      return { kind: type.kind, btfId: type.id, name: type.name, bytes: type.sizeOrType };
    case "ptr":
      // One level is what the checks read; a pointer to a pointer is "other" beyond that.
      return depth > 0 ? { kind: "pointer", pointee: { kind: "other", btfKind: "ptr", name: "" } } : { kind: "pointer", pointee: kernelType(btf, type.sizeOrType, what, depth + 1) };
    default:
      return { kind: "other", btfKind: type.kind, name: type.name };
  }
}

// A type as C declares it, typedef names kept: "const struct xdp_md *", "u32 *", "enum xdp_rss_hash_type *".
export function typeText(btf: Btf, id: number, what: string): string {
  const parts: string[] = [];
  let type = btfType(btf, id, what);
  for (let depth = 0; depth < 32; depth++) {
    switch (type.kind) {
      case "ptr":
        parts.unshift("*");
        type = btfType(btf, type.sizeOrType, what);
        continue;
      case "const":
      case "volatile":
      case "restrict":
        parts.unshift(type.kind);
        type = btfType(btf, type.sizeOrType, what);
        continue;
      case "type_tag":
        type = btfType(btf, type.sizeOrType, what);
        continue;
      default:
        break;
    }
    break;
  }
  const base = baseName(type);
  // Qualifiers written before the base type read as C does ("const struct x *"); pointers go after.
  const qualifiers = parts.filter((p) => p !== "*");
  const stars = parts.filter((p) => p === "*").join("");
  return [...new Set(qualifiers), base].join(" ") + (stars ? ` ${stars}` : "");
}

function baseName(type: BtfType): string {
  switch (type.kind) {
    case "void":
      return "void";
    case "struct":
    case "union":
    case "enum":
      return `${type.kind} ${type.name || "(anon)"}`;
    case "enum64":
      return `enum ${type.name || "(anon)"}`;
    case "fwd":
      return `${type.kindFlag ? "union" : "struct"} ${type.name}`;
    case "func_proto":
      return "(function)";
    default:
      return type.name || `(${type.kind})`;
  }
}
