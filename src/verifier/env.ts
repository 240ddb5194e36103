// What every step of the verifier reads: the program's instructions, its
// maps, the options, and the counters it shares (ids, log).
import type { Instruction } from "../ebpf/describe.ts";
import type { ExternRef } from "../elf/bpf-object.ts";
import type { FunctionSignature } from "../elf/func-signatures.ts";
import type { MapDef } from "../maps/types.ts";
import type { FunctionInfo } from "./cfg.ts";
import { refuseKsymLoads } from "./kfunc-call.ts";

export interface VerifyOptions {
  // kernel/bpf/verifier.c env->allow_ptr_leaks and allow_uninit_stack: true for a CAP_PERFMON (root) loader.
  readonly allowPtrLeaks?: boolean;
  // env->bpf_capable: bounded loops and register spills tracked precisely (CAP_BPF).
  readonly bpfCapable?: boolean;
  // BPF_F_STRICT_ALIGNMENT: packet and map accesses must be naturally aligned (x86 does not require it).
  readonly strictAlignment?: boolean;
  // "GPL" (or compatible) lets gpl_only helpers be called.
  readonly license?: string;
  // 1 = verdict and processed count; 2 = every instruction with the register state it leaves.
  readonly logLevel?: 0 | 1 | 2;
  // BPF_XDP_DEVMAP programs may read egress_ifindex.
  readonly expectedAttachType?: "xdp" | "xdp_devmap" | "xdp_cpumap";
  // The loader passes BTF func info for the program's functions (libbpf does for clang objects with BTF);
  // without it the kernel refuses callbacks and tail calls inside subprograms.
  readonly btfFuncInfo?: boolean;
  // The maps are created with their BTF value types (libbpf does for an object with .BTF), so the kernel knows
  // which values hold a bpf_spin_lock (MapDef.spinLockOffsetBytes); without it bpf_spin_lock is refused.
  readonly mapValueBtf?: boolean;
  // Subprograms whose BTF linkage is global (BpfProgram.functions with `global`): the kernel checks
  // each call against the prototype and verifies the function once, on its own, after the program.
  readonly globalFunctions?: readonly GlobalFunction[];
  // Named in the sentence of a VerifierUnsupportedError.
  readonly programName?: string;
  // Record per-instruction facts (joined register state, live registers, stack); on by default.
  readonly collectFacts?: boolean;
  // kernel/bpf/verifier.c BPF_COMPLEXITY_LIMIT_INSNS.
  readonly insnLimit?: number;
  // kfunc calls by pc (BpfProgram.externs), checked against this kernel BTF (default /sys/kernel/btf/vmlinux).
  readonly externs?: readonly ExternRef[];
  readonly kernelBtfPath?: string;
}

export interface GlobalFunction {
  readonly name: string;
  readonly startPc: number;
  readonly signature?: FunctionSignature;
}

export interface ResolvedOptions {
  readonly allowPtrLeaks: boolean;
  readonly bpfCapable: boolean;
  readonly strictAlignment: boolean;
  readonly gplCompatible: boolean;
  readonly logLevel: 0 | 1 | 2;
  readonly devmap: boolean;
  readonly collectFacts: boolean;
  readonly insnLimit: number;
  readonly btfFuncInfo: boolean;
  readonly mapValueBtf: boolean;
  readonly globalFunctions: ReadonlyMap<number, GlobalFunction>;
  readonly programName?: string;
  readonly kfuncNames: ReadonlyMap<number, string>;
  readonly kernelBtfPath?: string;
}

// kernel/bpf/verifier.c: BPF_COMPLEXITY_LIMIT_INSNS and BPF_COMPLEXITY_LIMIT_JMP_SEQ.
export const COMPLEXITY_LIMIT_INSNS = 1_000_000;
export const COMPLEXITY_LIMIT_JMP_SEQ = 8192;
// include/linux/bpf_verifier.h MAX_CALL_FRAMES.
export const MAX_CALL_FRAMES = 8;

// include/linux/license.h license_is_gpl_compatible.
const GPL_COMPATIBLE = ["GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL"];

export function resolveOptions(o: VerifyOptions = {}): ResolvedOptions {
  refuseKsymLoads(o.externs, o.programName);
  return {
    allowPtrLeaks: o.allowPtrLeaks ?? true,
    bpfCapable: o.bpfCapable ?? true,
    strictAlignment: o.strictAlignment ?? false,
    gplCompatible: GPL_COMPATIBLE.includes(o.license ?? "GPL"),
    logLevel: o.logLevel ?? 1,
    devmap: o.expectedAttachType === "xdp_devmap",
    collectFacts: o.collectFacts ?? true,
    insnLimit: o.insnLimit ?? COMPLEXITY_LIMIT_INSNS,
    btfFuncInfo: o.btfFuncInfo ?? false,
    mapValueBtf: o.mapValueBtf ?? false,
    // Without BTF func info the kernel knows no linkage: every subprogram is checked inline.
    globalFunctions: new Map(o.btfFuncInfo ? (o.globalFunctions ?? []).map((f) => [f.startPc, f] as const) : []),
    ...(o.programName !== undefined ? { programName: o.programName } : {}),
    kfuncNames: new Map((o.externs ?? []).filter((e) => e.kind === "kfunc").map((e) => [e.pc, e.name] as const)),
    ...(o.kernelBtfPath !== undefined ? { kernelBtfPath: o.kernelBtfPath } : {}),
  };
}

// Where a check reports that it depended on a scalar's value (precision.ts): a register of the current frame,
// or a stack slot of a frame (index in VState.frames; slot 0 = fp-8).
export interface PrecisionSink {
  reg(regno: number): void;
  slot(frame: number, slot: number): void;
}

// Which stack slots a path reads before writing them (the kernel's REG_LIVE_READ / REG_LIVE_WRITTEN for the
// stack): a read of bytes [lowOff, highOff) of a frame, and a write of a whole slot.
export interface StackLivenessSink {
  read(frame: number, lowOff: number, highOff: number): void;
  wroteSlot(frame: number, off: number): void;
}

export interface Env {
  // The instruction at each slot; undefined for the second slot of an lddw.
  readonly forms: readonly (Instruction | undefined)[];
  // The raw opcode byte of each slot, for the log.
  readonly opcodes: readonly number[];
  readonly maps: readonly MapDef[];
  readonly functions: readonly FunctionInfo[];
  // Index of the function each slot belongs to.
  readonly funcOf: readonly number[];
  readonly opts: ResolvedOptions;
  nextId(): number;
  // Set by the exploration; absent, nothing is tracked (every scalar is then compared by value).
  readonly precision?: PrecisionSink;
  readonly stackLiveness?: StackLivenessSink;
}
