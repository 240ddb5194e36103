// Which BTF kinds and forms the running kernel accepts, found the way libbpf
// finds them (tools/lib/bpf/features.c, probe_kern_btf_*): load a tiny BTF
// blob that uses the one feature and see whether BPF_BTF_LOAD takes it. The
// blobs are built here from the uapi layout (include/uapi/linux/btf.h).
// Kernel versions that added each (for the reader): FUNC 5.0, DATASEC/VAR 5.2,
// global FUNC 5.6, FLOAT 5.13, DECL_TAG 5.16, TYPE_TAG 5.17, ENUM64 6.0, a
// DATASEC name starting with '?' 6.5.
import { BtfKind, BtfVarLinkage } from "../elf/btf.ts";
import { assembleBtf, BtfStrings, typeInfo } from "./btf-blob.ts";

export interface BtfKernelSupport {
  readonly func: boolean;
  readonly funcGlobal: boolean;
  readonly datasec: boolean;
  readonly qmarkDatasec: boolean;
  readonly float: boolean;
  readonly declTag: boolean;
  readonly typeTag: boolean;
  readonly enum64: boolean;
}

export type BtfFeature = keyof BtfKernelSupport;

export const FULL_BTF_SUPPORT: BtfKernelSupport = {
  func: true,
  funcGlobal: true,
  datasec: true,
  qmarkDatasec: true,
  float: true,
  declTag: true,
  typeTag: true,
  enum64: true,
};

const INT_SIGNED_32 = (1 << 24) | 32;
const FuncLinkage = { STATIC: 0, GLOBAL: 1 } as const;
// A DECL_TAG's component_idx: -1 tags the type itself, not a member or parameter.
const WHOLE_TYPE = -1;

// Each probe: type 1 is a 4-byte signed int, then the types that use the feature.
function probeBlob(feature: BtfFeature): Uint8Array {
  const s = new BtfStrings();
  const words = [s.add("int"), typeInfo(BtfKind.INT, 0), 4, INT_SIGNED_32];
  const func = (linkage: number): void => {
    // [2] int (int x); [3] FUNC f of [2]
    words.push(0, typeInfo(BtfKind.FUNC_PROTO, 1), 1, s.add("x"), 1);
    words.push(s.add("f"), typeInfo(BtfKind.FUNC, linkage), 2);
  };
  const datasec = (name: string): void => {
    // [2] VAR x of int; [3] DATASEC of 4 bytes holding x at 0
    words.push(s.add("x"), typeInfo(BtfKind.VAR, 0), 1, BtfVarLinkage.STATIC);
    words.push(s.add(name), typeInfo(BtfKind.DATASEC, 1), 4, 2, 0, 4);
  };
  switch (feature) {
    case "func":
      func(FuncLinkage.STATIC);
      break;
    case "funcGlobal":
      func(FuncLinkage.GLOBAL);
      break;
    case "datasec":
      datasec(".data");
      break;
    case "qmarkDatasec":
      datasec("?.data");
      break;
    case "float":
      words.push(s.add("float"), typeInfo(BtfKind.FLOAT, 0), 4);
      break;
    case "declTag":
      // [2] VAR x; [3] DECL_TAG "tag" on [2]
      words.push(s.add("x"), typeInfo(BtfKind.VAR, 0), 1, BtfVarLinkage.STATIC);
      words.push(s.add("tag"), typeInfo(BtfKind.DECL_TAG, 0), 2, WHOLE_TYPE);
      break;
    case "typeTag":
      // [2] TYPE_TAG "tag" of int; [3] PTR to [2]
      words.push(s.add("tag"), typeInfo(BtfKind.TYPE_TAG, 0), 1);
      words.push(0, typeInfo(BtfKind.PTR, 0), 2);
      break;
    case "enum64":
      // [2] ENUM64 e of 8 bytes: v = 1
      words.push(s.add("e"), typeInfo(BtfKind.ENUM64, 1), 8, s.add("v"), 1, 0);
      break;
    default: {
      const unknown: never = feature;
      throw new Error(`unknown BTF feature ${String(unknown)}`);
    }
  }
  return assembleBtf(words, s);
}

export const btfFeatures: readonly BtfFeature[] = Object.keys(FULL_BTF_SUPPORT) as BtfFeature[];

// The probe blob for each feature, for tests and for probeBtfSupport.
export const btfProbeBlob = probeBlob;

// `accepts` loads a blob and says whether the kernel took it.
export function probeBtfSupport(accepts: (blob: Uint8Array) => boolean): BtfKernelSupport {
  return Object.fromEntries(btfFeatures.map((feature) => [feature, accepts(probeBlob(feature))])) as unknown as BtfKernelSupport;
}

export const lacksAny = (support: BtfKernelSupport): boolean => btfFeatures.some((feature) => !support[feature]);
