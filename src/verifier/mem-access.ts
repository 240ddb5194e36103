// check_mem_access: is a load or store of `size` bytes at register + off
// safe for the pointer type in the register, and what does a load yield?
// Packet accesses must fall inside the range a comparison with data_end
// proved, map values inside value_size, the stack inside the frame's 512
// bytes, the context on one of xdp_md's readable fields (net/core/filter.c
// xdp_is_valid_access). Messages are the kernel's.
import { MapType } from "../maps/types.ts";
import { XDP_MD_BYTES, XdpMdOffset } from "../xdp/context.ts";
import type { Env } from "./env.ts";
import { tnumText } from "./kernel-text.ts";
import * as S from "./scalar.ts";
import type { Scalar } from "./scalar.ts";
import * as T from "./tnum.ts";
import { constReg, ptrReg, scalarReg, typeName, unknownScalar } from "./reg-state.ts";
import type { PtrReg, RegState } from "./reg-state.ts";
import { reject } from "./reject.ts";
import { checkLockUntouched } from "./spin-lock.ts";
import { SLOT_BYTES, STACK_BYTES, StackByte, byteIndex } from "./state.ts";
import type { Frame, VState } from "./state.ts";
import { type StackValue, readStackFixed, readStackVar, writeStackFixed, writeStackVar } from "./stack-access.ts";
import { kernelStructAccess } from "./kfunc-struct-access.ts";

// include/linux/bpf_verifier.h BPF_MAX_VAR_OFF; include/linux/bpf.h MAX_PACKET_OFF; NET_IP_ALIGN on x86.
export const BPF_MAX_VAR_OFF = 1 << 29;
export const MAX_PACKET_OFF = 0xffff;
const NET_IP_ALIGN = 2;
// include/uapi/linux/bpf.h BPF_F_RDONLY_PROG.
const BPF_F_RDONLY_PROG = 1 << 7;
const CTX_FIELD_BYTES = 4;

export type AccessKind = "read" | "write";

export interface Access {
  readonly regno: number;
  readonly off: number;
  readonly size: number;
  readonly kind: AccessKind;
  // The stored value (writes) or whether the loaded value is wanted (false for atomics' first read).
  readonly value: StackValue;
  readonly signedLoad?: boolean;
  // False for an atomic's checking read, whose value no register receives.
  readonly wantValue?: boolean;
}

// The register the value comes from on a store (for the leak checks), -1 for an immediate.
export interface AccessContext {
  readonly env: Env;
  readonly state: VState;
  readonly valueRegno: number;
}

export function checkMemAccess(ctx: AccessContext, a: Access): RegState {
  const { state, env } = ctx;
  const frame = state.frames[state.frames.length - 1];
  const reg = frame.regs[a.regno];
  if (reg.kind !== "ptr" || reg.maybeNull) return reject("EACCES", `R${a.regno} invalid mem access '${typeName(reg)}'`);
  checkAlignment(env, reg, a);
  const off = a.off + reg.off;
  let loaded: RegState;
  switch (reg.type) {
    case "ctx":
      loaded = ctxAccess(ctx, reg, a);
      break;
    case "stack":
      loaded = stackAccess(ctx, reg, a, off);
      break;
    case "pkt":
    case "pkt_meta":
      if (a.kind === "write") checkLeak(ctx, "packet");
      checkPacketAccess(a.regno, reg, off, a.size, false);
      loaded = unknownScalar;
      break;
    case "map_value":
      loaded = mapValueAccess(ctx, reg, a, off);
      break;
    case "ringbuf_mem":
    case "mem":
      if (a.kind === "write") checkLeak(ctx, "mem");
      checkMemRegion(a.regno, reg, off, a.size, reg.memSize ?? 0, false);
      loaded = unknownScalar;
      break;
    case "map_key":
      // check_mem_access: a callback may read the key it is given, never write it.
      if (a.kind === "write") return reject("EACCES", `write to change key R${a.regno} not allowed`);
      checkMemRegion(a.regno, reg, off, a.size, reg.map!.keySize, false);
      loaded = unknownScalar;
      break;
    case "btf_id":
      loaded = kernelStructAccess(env, a.regno, reg, off, a.size, a.kind);
      if (a.kind === "write") checkLeak(ctx, "mem");
      break;
    case "map_ptr":
      // The kernel lets programs read struct bpf_map fields through BTF, which this verifier does not have.
      if (a.kind === "write") return reject("EACCES", `only read from ${mapStructName(reg.map!.type)} is supported`);
      return reject("EACCES", `R${a.regno} invalid mem access '${typeName(reg)}'`);
    default:
      return reject("EACCES", `R${a.regno} invalid mem access '${typeName(reg)}'`);
  }
  if (a.kind === "write") return loaded;
  return coerceLoaded(loaded, a);
}

function coerceLoaded(loaded: RegState, a: Access): RegState {
  if (loaded.kind !== "scalar" || a.size === 8) return loaded;
  const bytes = a.size as 1 | 2 | 4;
  return a.signedLoad ? scalarReg(S.extend(loaded.value, bytes, true)) : scalarReg(S.truncate(loaded.value, bytes), loaded.id);
}

function checkLeak(ctx: AccessContext, into: string): void {
  if (ctx.env.opts.allowPtrLeaks || ctx.valueRegno < 0) return;
  const value = ctx.state.frames[ctx.state.frames.length - 1].regs[ctx.valueRegno];
  if (value.kind === "ptr") reject("EACCES", `R${ctx.valueRegno} leaks addr into ${into}`);
}

// check_ptr_alignment: the stack is always strict; packets and map values only under BPF_F_STRICT_ALIGNMENT.
function checkAlignment(env: Env, reg: PtrReg, a: Access): void {
  if (a.size === 1) return;
  const strictStack = reg.type === "stack";
  if (!strictStack && !env.opts.strictAlignment) return;
  if (reg.type === "pkt" || reg.type === "pkt_meta") {
    const regOff = T.add(reg.varOff.bits, T.tnumConst(BigInt(NET_IP_ALIGN + reg.off + a.off)));
    if (!T.isAligned(regOff, a.size)) {
      reject("EACCES", `misaligned packet access off ${NET_IP_ALIGN}+${tnumText(reg.varOff.bits)}+${reg.off}+${a.off} size ${a.size}`);
    }
    return;
  }
  const desc = reg.type === "stack" ? "stack " : reg.type === "map_value" ? "value " : reg.type === "ctx" ? "context " : "";
  const regOff = T.add(reg.varOff.bits, T.tnumConst(BigInt(reg.off + a.off)));
  if (!T.isAligned(regOff, a.size)) {
    reject("EACCES", `misaligned ${desc}access off ${tnumText(reg.varOff.bits)}+${reg.off}+${a.off} size ${a.size}`);
  }
}

// __check_mem_access: [off, off+size) inside [0, memSize).
function checkMemBounds(regno: number, reg: PtrReg, off: number, size: number, memSize: number, zeroSizeOk: boolean): string | undefined {
  const sizeOk = size > 0 || (size === 0 && zeroSizeOk);
  if (off >= 0 && sizeOk && off + size <= memSize) return undefined;
  switch (reg.type) {
    case "map_value":
      return `invalid access to map value, value_size=${memSize} off=${off} size=${size}`;
    case "pkt":
    case "pkt_meta":
    case "pkt_end":
      return `invalid access to packet, off=${off} size=${size}, R${regno}(id=${reg.id},off=${off},r=${memSize})`;
    default:
      return `invalid access to memory, mem_size=${memSize} off=${off} size=${size}`;
  }
}

export function checkPacketAccess(regno: number, reg: PtrReg, off: number, size: number, zeroSizeOk: boolean): void {
  if (reg.varOff.smin < 0n) reject("EACCES", `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  // A pointer known to be at or past data_end (a negative range) can access nothing.
  if (reg.range < 0) reject("EACCES", `R${regno} offset is outside of the packet`);
  const problem = checkMemBounds(regno, reg, off, size, reg.range, zeroSizeOk);
  if (problem !== undefined) reject("EACCES", problem, `R${regno} offset is outside of the packet`);
}

// check_mem_region_access: both ends of the variable offset must keep the access inside.
export function checkMemRegion(regno: number, reg: PtrReg, off: number, size: number, memSize: number, zeroSizeOk: boolean): void {
  const v = reg.varOff;
  const lo = BigInt(off) + v.smin;
  if (v.smin < 0n && (v.smin === S.S64_MIN || lo !== BigInt.asIntN(32, lo) || lo < 0n)) {
    reject("EACCES", `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  }
  const minProblem = checkMemBounds(regno, reg, Number(BigInt.asIntN(32, lo)), size, memSize, zeroSizeOk);
  if (minProblem !== undefined) reject("EACCES", minProblem, `R${regno} min value is outside of the allowed memory range`);
  if (v.umax >= BigInt(BPF_MAX_VAR_OFF)) reject("EACCES", `R${regno} unbounded memory access, make sure to bounds check any such access`);
  const maxProblem = checkMemBounds(regno, reg, Number(v.umax) + off, size, memSize, zeroSizeOk);
  if (maxProblem !== undefined) reject("EACCES", maxProblem, `R${regno} max value is outside of the allowed memory range`);
}

function ctxAccess(ctx: AccessContext, reg: PtrReg, a: Access): RegState {
  if (a.kind === "write") checkLeak(ctx, "ctx");
  if (reg.off !== 0) reject("EACCES", `dereference of modified ctx ptr R${a.regno} off=${reg.off} disallowed`);
  if (S.constValue(reg.varOff) !== 0n) reject("EACCES", `variable ctx access var_off=${tnumText(reg.varOff.bits)} disallowed`);
  const off = a.off;
  const valid =
    a.kind === "read" &&
    (off !== XdpMdOffset.EGRESS_IFINDEX || ctx.env.opts.devmap) &&
    off >= 0 && off < XDP_MD_BYTES && off % a.size === 0 && a.size === CTX_FIELD_BYTES;
  if (!valid) return reject("EACCES", `invalid bpf_context access off=${off} size=${a.size}`);
  switch (off) {
    case XdpMdOffset.DATA:
      return ptrReg("pkt");
    case XdpMdOffset.DATA_END:
      return ptrReg("pkt_end");
    case XdpMdOffset.DATA_META:
      return ptrReg("pkt_meta");
    default:
      return scalarReg(S.unsignedRange(0n, S.U32_MAX));
  }
}

// check_stack_access_within_bounds: the access must stay inside [-512, 0).
function stackAccess(ctx: AccessContext, reg: PtrReg, a: Access, off: number): RegState {
  const { state, env } = ctx;
  const owner = frameOf(state, reg);
  const extra = a.kind === "write" ? " write to" : " read from";
  const fixed = S.constValue(reg.varOff);
  if (fixed !== undefined) {
    const abs = Number(BigInt.asIntN(64, fixed)) + off;
    if (abs < -STACK_BYTES || abs + a.size > 0) reject("EACCES", `invalid${extra} stack R${a.regno} off=${abs} size=${a.size}`);
    const frameIndex = state.frames.indexOf(owner);
    if (a.kind === "write") {
      if (a.size === SLOT_BYTES) env.stackLiveness?.wroteSlot(frameIndex, abs);
      // A register's zero written other than as a spill makes STACK_ZERO bytes: the value matters (the kernel
      // marks it precise, since backtracking does not follow STACK_ZERO).
      if (!(abs % 8 === 0 && env.opts.bpfCapable) && writesZeroReg(a)) env.precision?.reg(ctx.valueRegno);
      writeStackFixed(owner, abs, a.size, linkSpilled(ctx, a, abs), owner === state.frames[state.frames.length - 1], env.opts);
      return unknownScalar;
    }
    env.stackLiveness?.read(frameIndex, abs, abs + a.size);
    return readStackFixed(owner, abs, a.size, a.wantValue ?? true, env.opts, env.nextId);
  }
  const [minOff, maxOff] = varStackRange(reg, off, a.size, a.regno, extra);
  if (a.kind === "write") {
    const zero = writesZeroReg(a) || (a.value.kind === "imm" && a.value.imm === 0);
    if (writesZeroReg(a)) env.precision?.reg(ctx.valueRegno);
    writeStackVar(owner, minOff, maxOff, zero, env.opts);
    return unknownScalar;
  }
  env.stackLiveness?.read(state.frames.indexOf(owner), minOff, maxOff);
  const loaded = readStackVar(owner, minOff, maxOff, env.opts);
  // A zero read at a variable offset may come from spilled zeros: those spills' values matter.
  if (loaded.kind === "scalar" && S.constValue(loaded.value) === 0n) {
    const frameIndex = state.frames.indexOf(owner);
    for (let slot = Math.floor(byteIndex(maxOff - 1) / SLOT_BYTES); slot <= Math.floor(byteIndex(minOff) / SLOT_BYTES); slot++) {
      if (owner.stack[slot * SLOT_BYTES + SLOT_BYTES - 1] === StackByte.SPILL) env.precision?.slot(frameIndex, slot);
    }
  }
  return loaded;
}

const writesZeroReg = (a: Access): boolean => a.value.kind === "reg" && a.value.reg.kind === "scalar" && S.constValue(a.value.reg.value) === 0n;

// check_stack_write_fixed_off: a scalar spilled whole into an aligned slot is linked with its register (one id),
// so a bounds check on either teaches the other.
function linkSpilled(ctx: AccessContext, a: Access, abs: number): StackValue {
  const value = a.value;
  if (value.kind !== "reg" || value.reg.kind !== "scalar" || abs % 8 !== 0 || !ctx.env.opts.bpfCapable || ctx.valueRegno < 0) return value;
  const reg = value.reg;
  if (bitLength(reg.value.umax) > a.size * 8) return value;
  let linked = reg.delta !== undefined ? scalarReg(reg.value) : reg;
  if (linked.id === 0 && !S.isConstant(linked.value)) linked = scalarReg(linked.value, ctx.env.nextId());
  if (linked !== reg) ctx.state.frames[ctx.state.frames.length - 1].regs[ctx.valueRegno] = linked;
  return { kind: "reg", reg: linked };
}

const bitLength = (x: bigint): number => x.toString(2).length - (x === 0n ? 1 : 0);

export function varStackRange(reg: PtrReg, off: number, size: number, regno: number, extra: string): [number, number] {
  const v = reg.varOff;
  if (v.smax >= BigInt(BPF_MAX_VAR_OFF) || v.smin <= -BigInt(BPF_MAX_VAR_OFF)) reject("EACCES", `invalid unbounded variable-offset${extra} stack R${regno}`);
  const minOff = Number(v.smin) + off;
  const maxOff = Number(v.smax) + off + size;
  if (minOff < -STACK_BYTES || maxOff > 0) {
    reject("EACCES", `invalid variable-offset${extra} stack R${regno} var_off=${tnumText(v.bits)} off=${off} size=${size}`);
  }
  return [minOff, maxOff];
}

export function frameOf(state: VState, reg: PtrReg): Frame {
  return state.frames.find((f) => f.frameNo === reg.frameNo) ?? state.frames[state.frames.length - 1];
}

export const mapIsReadOnly = (flags: number): boolean => (flags & BPF_F_RDONLY_PROG) !== 0;

function mapValueAccess(ctx: AccessContext, reg: PtrReg, a: Access, off: number): RegState {
  const map = reg.map!;
  if (a.kind === "write") {
    checkLeak(ctx, "map");
    if (mapIsReadOnly(map.flags)) reject("EACCES", `write into map forbidden, value_size=${map.valueSize} off=${off} size=${a.size}`);
  }
  checkMemRegion(a.regno, reg, off, a.size, map.valueSize, false);
  checkLockUntouched(reg, off, a.size);
  if (a.kind === "read") {
    const fixed = S.constValue(reg.varOff);
    // bpf_map_direct_read: a frozen read-only map's bytes are known constants.
    if (fixed !== undefined && mapIsReadOnly(map.flags) && map.frozen === true && map.initialValue !== undefined && map.type === MapType.ARRAY) {
      return constReg(readLittleEndian(map.initialValue, Number(fixed) + off, a.size));
    }
  }
  return unknownScalar;
}

function readLittleEndian(bytes: Uint8Array, at: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i] ?? 0);
  return v;
}

// The kernel struct behind each map kind (kernel/bpf/*.c), as check_ptr_to_map_access names it.
function mapStructName(type: number): string {
  switch (type) {
    case MapType.HASH:
    case MapType.PERCPU_HASH:
    case MapType.LRU_HASH:
    case MapType.LRU_PERCPU_HASH:
    case MapType.HASH_OF_MAPS:
      return "bpf_htab";
    case MapType.LPM_TRIE:
      return "lpm_trie";
    case MapType.DEVMAP:
    case MapType.DEVMAP_HASH:
      return "bpf_dtab";
    case MapType.CPUMAP:
      return "bpf_cpu_map";
    case MapType.XSKMAP:
      return "xsk_map";
    case MapType.RINGBUF:
      return "bpf_ringbuf_map";
    case MapType.QUEUE:
    case MapType.STACK:
      return "bpf_queue_stack";
    default:
      return "bpf_array";
  }
}

export type { Scalar };
