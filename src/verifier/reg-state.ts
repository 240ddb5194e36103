// What the verifier knows about one register: nothing yet (not_init), a
// scalar (scalar.ts), or a pointer of one of the kernel's register types with
// a fixed offset (`off`) and a variable one (`varOff`, a scalar). The types and
// their names are the kernel's (include/linux/bpf.h enum bpf_reg_type,
// kernel/bpf/log.c reg_type_str).
import type { MapDef } from "../maps/types.ts";
import * as S from "./scalar.ts";
import type { Scalar } from "./scalar.ts";

export type PtrType =
  | "ctx" // PTR_TO_CTX: struct xdp_md
  | "pkt" // PTR_TO_PACKET
  | "pkt_meta" // PTR_TO_PACKET_META
  | "pkt_end" // PTR_TO_PACKET_END
  | "stack" // PTR_TO_STACK (of frame `frameNo`)
  | "map_value" // PTR_TO_MAP_VALUE
  | "map_ptr" // CONST_PTR_TO_MAP
  | "map_key" // PTR_TO_MAP_KEY: the key a bpf_for_each_map_elem callback is given
  | "ringbuf_mem" // PTR_TO_MEM | MEM_RINGBUF
  | "mem" // PTR_TO_MEM: a global function's pointer argument, `memSize` bytes
  | "func" // PTR_TO_FUNC
  | "btf_id"; // PTR_TO_BTF_ID: a kernel struct (`kernelStruct`) a kfunc returned or a field of one pointed at

export interface NotInitReg {
  readonly kind: "not_init";
}

export interface ScalarReg {
  readonly kind: "scalar";
  readonly value: Scalar;
  // Registers holding copies of one value share a non-zero id, so a bounds check on one teaches the others.
  readonly id: number;
  // Set when this register is the shared value plus a constant (`rX = rY; rX += 4`: the kernel's BPF_ADD_CONST).
  readonly delta?: number;
  // Set only in explored states (checkpoints): a check after this state depended on the value (precision.ts).
  readonly precise?: boolean;
}

export interface PtrReg {
  readonly kind: "ptr";
  readonly type: PtrType;
  // PTR_MAYBE_NULL: the pointer may be NULL until a comparison with 0 says otherwise.
  readonly maybeNull: boolean;
  readonly off: number;
  readonly varOff: Scalar;
  // Packet pointers with one id share a variable offset; nullable pointers with one id come from one lookup.
  readonly id: number;
  // Packet pointers: bytes [pointer - off, pointer - off + range) are known to lie before data_end.
  readonly range: number;
  readonly map?: MapDef;
  readonly frameNo?: number;
  // Ringbuf records and mem: the size reserved or declared; ringbuf records: the reference that must be released.
  readonly memSize?: number;
  readonly refObjId?: number;
  readonly funcPc?: number;
  // btf_id: the kernel BTF struct pointed at; trusted (PTR_TRUSTED or referenced) when a kfunc acquired it.
  readonly kernelStruct?: { readonly btfId: number; readonly name: string; readonly bytes: number; readonly trusted: boolean };
}

export type RegState = NotInitReg | ScalarReg | PtrReg;

export const NOT_INIT: NotInitReg = { kind: "not_init" };

// Every register object of a kind has all its fields, in one order (absent ones undefined): the hot loops that
// read them (pruning, facts) then meet one object shape per kind, not one per combination of fields.
export const scalarReg = (value: Scalar, id = 0, delta?: number): ScalarReg => ({ kind: "scalar", value, id, delta, precise: undefined });
export const unknownScalar: ScalarReg = scalarReg(S.unknown);
export const constReg = (value: bigint): ScalarReg => scalarReg(S.constant(value));

const ZERO_OFFSET = S.constant(0n);

export function ptrReg(type: PtrType, fields: Partial<Omit<PtrReg, "kind" | "type">> = {}): PtrReg {
  return { kind: "ptr", type, maybeNull: false, off: 0, varOff: ZERO_OFFSET, id: 0, range: 0, map: undefined, frameNo: undefined, memSize: undefined, refObjId: undefined, funcPc: undefined, kernelStruct: undefined, ...fields };
}

export const isPacketPtr = (r: RegState): r is PtrReg => r.kind === "ptr" && (r.type === "pkt" || r.type === "pkt_meta");
export const isKnownZero = (r: RegState): boolean => r.kind === "scalar" && S.constValue(r.value) === 0n;
export const isPointer = (r: RegState): r is PtrReg => r.kind === "ptr";

// reg_type_str: the name the kernel prints for a register's type.
export function typeName(r: RegState): string {
  switch (r.kind) {
    case "not_init":
      return "?";
    case "scalar":
      return "scalar";
    case "ptr":
      return ptrTypeName(r.type, r.maybeNull);
  }
}

export function ptrTypeName(type: PtrType, maybeNull: boolean): string {
  return maybeNull ? NULLABLE_NAMES[type] : NAMES[type];
}

const nameOf = (type: PtrType, maybeNull: boolean): string => `${type === "stack" ? "fp" : type}${maybeNull ? "_or_null" : ""}`;
// Every PtrType once (the compiler checks the list is complete).
const PTR_TYPES = Object.keys({ ctx: 0, pkt: 0, pkt_meta: 0, pkt_end: 0, stack: 0, map_value: 0, map_ptr: 0, map_key: 0, ringbuf_mem: 0, mem: 0, func: 0, btf_id: 0 } satisfies Record<PtrType, 0>) as PtrType[];
// The names made once (the facts ask for them on every visit).
const NAMES = Object.fromEntries(PTR_TYPES.map((t) => [t, nameOf(t, false)])) as Record<PtrType, string>;
const NULLABLE_NAMES = Object.fromEntries(PTR_TYPES.map((t) => [t, nameOf(t, true)])) as Record<PtrType, string>;

// The pointer's offset from its base as one scalar: fixed part plus variable part.
export const totalOffset = (r: PtrReg): Scalar => S.alu("add", 64, r.varOff, S.constant(BigInt(r.off)));
