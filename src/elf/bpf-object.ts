import type { Program } from "../ebpf/instruction.ts";
import type { MapDef } from "../maps/types.ts";
import type { CoreRelocation } from "./core-relocations.ts";
import type { FunctionSignature } from "./func-signatures.ts";
import type { InitialSlot } from "./map-slots.ts";
import type { AttachTypeName, ProgTypeName } from "./prog-types.ts";

// What loading an eBPF object yields: plain readonly data, the same things
// libbpf's bpf_object__open + relocation would hold before any fd exists.
//
// Map references in the instructions use the kernel's index forms, with the
// index counting into `BpfObject.maps`:
//   lddw rX, map           -> src = BPF_PSEUDO_MAP_IDX (5),       imm = map index
//   lddw rX, global + off  -> src = BPF_PSEUDO_MAP_IDX_VALUE (6), imm = map index, next imm = offset
// The kernel accepts these with BPF_PROG_LOAD's fd_array; to load without it,
// replace them by BPF_PSEUDO_MAP_FD / BPF_PSEUDO_MAP_VALUE with the map's fd.

export interface LineInfo {
  readonly pc: number; // slot index in the linked program
  readonly fileName: string;
  readonly line: number;
  readonly column: number;
  readonly sourceLine: string;
}

// One function inside a linked program: the entry function at pc 0, then
// each bpf-to-bpf subprogram in the order it was appended.
export interface FunctionSpan {
  readonly name: string;
  readonly startPc: number;
  readonly slots: number;
  // BTF FUNC linkage is global: the kernel verifies the function once, on its own, from its prototype.
  readonly global?: boolean;
  readonly signature?: FunctionSignature;
}

// A kernel symbol the program refers to but this loader cannot resolve
// (it would need the running kernel's BTF): a kfunc call or a __ksym variable.
export interface ExternRef {
  readonly kind: "kfunc" | "ksym";
  readonly name: string;
  readonly pc: number;
}

export type SectionMatchKind = "libbpf" | "legacy-prefix" | "unknown";

export interface BpfProgram {
  readonly name: string;
  readonly section: string; // without the leading '?' of a not-autoloaded program
  readonly type: ProgTypeName;
  readonly typeId: number; // enum bpf_prog_type
  readonly expectedAttachType?: AttachTypeName;
  readonly sectionMatch: SectionMatchKind;
  readonly sleepable: boolean;
  readonly xdpFrags: boolean;
  readonly autoload: boolean;
  readonly insns: Program; // the entry function, then its subprograms
  readonly ownInsnSlots: number; // slots of the entry function alone
  readonly functions: readonly FunctionSpan[];
  readonly lineInfo?: readonly LineInfo[];
  readonly externs: readonly ExternRef[];
}

export type RelocationTarget =
  | { readonly kind: "map"; readonly mapIndex: number; readonly mapName: string }
  | { readonly kind: "global-data"; readonly mapIndex: number; readonly mapName: string; readonly offsetBytes: number }
  | { readonly kind: "subprog-call"; readonly functionName: string }
  | { readonly kind: "subprog-address"; readonly functionName: string }
  | { readonly kind: "kfunc"; readonly name: string }
  | { readonly kind: "ksym"; readonly name: string };

// One ELF relocation of program code, with what it resolved to.
export interface Relocation {
  readonly section: string;
  readonly program: string; // the function whose instruction it patches
  readonly insnIndex: number; // slot index within the section
  readonly offsetBytes: number; // r_offset
  readonly type: string; // R_BPF_64_64, R_BPF_64_32...
  readonly symbol: string;
  readonly target: RelocationTarget;
}

export interface BtfSummary {
  readonly typeCount: number;
  readonly stringBytes: number;
  readonly datasecs: readonly string[];
  readonly funcInfoCount: number;
  readonly lineInfoCount: number;
  readonly coreRelocationCount: number;
}

export interface BpfObject {
  readonly fileName: string;
  readonly littleEndian: boolean;
  readonly programs: readonly BpfProgram[];
  readonly maps: readonly MapDef[];
  readonly relocations: readonly Relocation[];
  // CO-RE relocations, each resolved against the object's own BTF (see core-relocations.ts).
  readonly coreRelocations?: readonly (CoreRelocation & { readonly program: string })[];
  // Prog-array and map-in-map slots the object fills (`.values = {...}`); libbpf stores them after loading.
  readonly initialSlots?: readonly InitialSlot[];
  readonly license: string;
  readonly kernelVersion?: number;
  readonly btf?: BtfSummary;
  // Things libbpf would only log (an unreadable .BTF.ext, a legacy section name...).
  readonly warnings: readonly string[];
}
