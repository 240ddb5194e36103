// ALU instructions on abstract registers (kernel/bpf/verifier.c check_alu_op,
// adjust_reg_min_max_vals, adjust_ptr_min_max_vals): scalars go through the
// scalar domain; a pointer may only move by adding or subtracting a scalar
// (a constant moves its fixed offset, anything else its variable offset),
// and two pointers may only be subtracted (by a loader that may see addresses).
import type { ArithmeticInstruction } from "../ebpf/alu.ts";
import type { Env } from "./env.ts";
import { BPF_MAX_VAR_OFF } from "./mem-access.ts";
import * as S from "./scalar.ts";
import * as T from "./tnum.ts";
import type { AluName, Scalar } from "./scalar.ts";
import { constReg, ptrTypeName, scalarReg, typeName, unknownScalar } from "./reg-state.ts";
import type { PtrReg, RegState } from "./reg-state.ts";
import { reject } from "./reject.ts";
import type { Frame } from "./state.ts";
import { FRAME_POINTER } from "../ebpf/opcode.ts";

// include/linux/filter.h bpf_alu_string, as the kernel's messages spell the operators.
const ALU_STRING: Readonly<Record<string, string>> = {
  add: "+=", sub: "-=", mul: "*=", div: "/=", sdiv: "/=", or: "|=", and: "&=", lsh: "<<=", rsh: ">>=",
  mod: "%=", smod: "%=", xor: "^=", mov: "=", arsh: "s>>=", neg: "neg",
};

export function readReg(frame: Frame, regno: number): RegState {
  const r = frame.regs[regno];
  if (r.kind === "not_init") reject("EACCES", `R${regno} !read_ok`);
  return r;
}

export function checkWritable(regno: number): void {
  if (regno === FRAME_POINTER) reject("EACCES", "frame pointer is read only");
}

export function executeAlu(env: Env, frame: Frame, form: ArithmeticInstruction): void {
  switch (form.kind) {
    case "alu":
      return form.op === "mov" ? executeMov(env, frame, form.width, form.dst, form.source === "reg" ? form.src : undefined, form.imm) : executeBinary(env, frame, form);
    case "neg": {
      const dst = readReg(frame, form.dst);
      checkWritable(form.dst);
      if (dst.kind === "ptr") {
        if (!env.opts.allowPtrLeaks) reject("EACCES", `R${form.dst} pointer arithmetic prohibited`);
        frame.regs[form.dst] = unknownScalar;
        return;
      }
      // The kernel computes -x as 0 - x, keeping the ranges.
      if (dst.kind === "scalar") frame.regs[form.dst] = scalarReg(S.alu("sub", form.width, S.constant(0n), dst.value));
      return;
    }
    case "movsx": {
      const src = readReg(frame, form.src);
      checkWritable(form.dst);
      if (src.kind !== "scalar") {
        if (!env.opts.allowPtrLeaks) reject("EACCES", `R${form.src} sign-extension part of pointer`);
        frame.regs[form.dst] = form.width === 32 ? scalarReg(S.unsignedRange(0n, S.U32_MAX)) : unknownScalar;
        return;
      }
      const extended = S.extend(src.value, (form.fromBits / 8) as 1 | 2 | 4, true);
      frame.regs[form.dst] = scalarReg(form.width === 32 ? S.zeroExtend32(extended) : extended);
      return;
    }
    case "endian": {
      const dst = readReg(frame, form.dst);
      checkWritable(form.dst);
      if (dst.kind === "ptr") {
        if (!env.opts.allowPtrLeaks) reject("EACCES", `R${form.dst} pointer arithmetic prohibited`);
        frame.regs[form.dst] = unknownScalar;
        return;
      }
      if (dst.kind === "scalar") frame.regs[form.dst] = scalarReg(byteOrder(dst.value, form.op, form.bits));
      return;
    }
  }
}

// le16/le32 on a little-endian host only truncate; be and bswap reverse the bytes of the low `bits`,
// known bits moving with their bytes (as the kernel's tnum byte swap does).
function byteOrder(s: Scalar, op: "le" | "be" | "bswap", bits: 16 | 32 | 64): Scalar {
  const bytes = bits / 8;
  if (op === "le") return bits === 64 ? s : S.truncate(s, bytes as 2 | 4);
  const swap = (x: bigint): bigint => {
    let out = 0n;
    for (let i = 0; i < bytes; i++) out = (out << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
    return out;
  };
  const c = S.constValue(s);
  if (c !== undefined) return S.constant(swap(c));
  const bitsOut = T.tnum(swap(s.bits.value), swap(s.bits.mask));
  return S.sync({ ...S.unknown, bits: bitsOut });
}

function executeMov(env: Env, frame: Frame, width: 32 | 64, dstno: number, srcno: number | undefined, imm: number): void {
  if (srcno === undefined) {
    checkWritable(dstno);
    frame.regs[dstno] = constReg(width === 64 ? BigInt(imm) : BigInt(imm >>> 0));
    return;
  }
  const src = readReg(frame, srcno);
  checkWritable(dstno);
  if (src.kind === "ptr") {
    if (width === 64) {
      frame.regs[dstno] = src;
      return;
    }
    if (!env.opts.allowPtrLeaks) reject("EACCES", `R${srcno} partial copy of pointer`);
    frame.regs[dstno] = scalarReg(S.unsignedRange(0n, S.U32_MAX));
    return;
  }
  if (src.kind !== "scalar") return;
  if (width === 32) {
    frame.regs[dstno] = scalarReg(S.zeroExtend32(src.value));
    return;
  }
  // assign_scalar_id_before_mov: copies of an unknown value share an id (a register already at
  // "value + constant" starts a new link: links of links are not kept).
  if (src.delta !== undefined || (src.id === 0 && !S.isConstant(src.value))) {
    if (S.isConstant(src.value)) {
      frame.regs[srcno] = scalarReg(src.value);
      frame.regs[dstno] = frame.regs[srcno];
      return;
    }
    const linked = scalarReg(src.value, env.nextId());
    frame.regs[srcno] = linked;
    frame.regs[dstno] = linked;
    return;
  }
  frame.regs[dstno] = src;
}

function executeBinary(env: Env, frame: Frame, form: Extract<ArithmeticInstruction, { kind: "alu" }>): void {
  const src: RegState = form.source === "reg" ? readReg(frame, form.src) : constReg(BigInt(form.imm));
  const dst = readReg(frame, form.dst);
  const op = form.op as AluName;
  if ((op === "div" || op === "mod" || op === "sdiv" || op === "smod") && form.source === "imm" && form.imm === 0) reject("EINVAL", "div by zero");
  if ((op === "lsh" || op === "rsh" || op === "arsh") && form.source === "imm" && (form.imm < 0 || form.imm >= form.width)) {
    reject("EINVAL", `invalid shift ${form.imm}`);
  }
  checkWritable(form.dst);
  if (src.kind === "ptr" && dst.kind === "ptr") {
    if (op === "sub" && env.opts.allowPtrLeaks) {
      frame.regs[form.dst] = form.width === 64 ? unknownScalar : scalarReg(S.unsignedRange(0n, S.U32_MAX));
      return;
    }
    reject("EACCES", `R${form.dst} pointer ${ALU_STRING[op]} pointer prohibited`);
  }
  if (src.kind === "ptr" && dst.kind === "scalar") {
    // The scalar moves a pointer: its value matters from here back (mark_chain_precision).
    env.precision?.reg(form.dst);
    frame.regs[form.dst] = pointerArithmetic(env, form.dst, op, form.width, src, dst.value, true);
    return;
  }
  if (dst.kind === "ptr" && src.kind === "scalar") {
    if (form.source === "reg") env.precision?.reg(form.src);
    frame.regs[form.dst] = pointerArithmetic(env, form.dst, op, form.width, dst, src.value, false);
    return;
  }
  if (dst.kind === "scalar" && src.kind === "scalar") {
    // is_safe_to_compute_dst_reg_range: for division, modulo and shifts by a non-constant or over-wide amount the
    // kernel forgets all 64 bits, even of a 32-bit operation; knowing more than the kernel could accept what it rejects.
    const computable = !isDivMod(op) && (!isShift(op) || shiftAmountOk(src.value, form.width));
    const value = computable ? S.alu(op, form.width, dst.value, src.value) : S.unknown;
    frame.regs[form.dst] = scalarReg(value, ...linkAfterAdd(env, op, form.width, dst, src.value));
  }
}

// adjust_ptr_min_max_vals: `ptr op= scalar` (or `scalar += ptr` when scalarIsDst).
function pointerArithmetic(env: Env, dstno: number, op: AluName, width: 32 | 64, ptr: PtrReg, off: Scalar, scalarIsDst: boolean): RegState {
  if (width === 32) {
    if (op === "sub" && env.opts.allowPtrLeaks) return scalarReg(S.unsignedRange(0n, S.U32_MAX));
    reject("EACCES", `R${dstno} 32-bit pointer arithmetic prohibited`);
  }
  if (ptr.maybeNull) reject("EACCES", `R${dstno} pointer arithmetic on ${typeName(ptr)} prohibited, null-check it first`);
  const known = S.constValue(off);
  switch (ptr.type) {
    case "ctx":
    case "map_value":
    case "map_key":
    case "stack":
    case "pkt":
    case "pkt_meta":
    case "ringbuf_mem":
    case "mem":
    case "func":
      break;
    case "map_ptr":
      if (known === 0n && op === "add") break;
      reject("EACCES", `R${dstno} pointer arithmetic on ${typeName(ptr)} prohibited`);
      break;
    default:
      reject("EACCES", `R${dstno} pointer arithmetic on ${typeName(ptr)} prohibited`);
  }
  const type = ptrTypeName(ptr.type, false);
  checkSaneOffset(off, 0, type);
  checkSaneOffset(ptr.varOff, ptr.off, type);
  let result: PtrReg;
  switch (op) {
    case "add": {
      const sum = known !== undefined ? ptr.off + Number(BigInt.asIntN(64, known)) : NaN;
      if (known !== undefined && sum === (sum | 0)) {
        result = { ...ptr, off: sum };
        break;
      }
      result = { ...ptr, varOff: S.alu("add", 64, ptr.varOff, off) };
      // Something variable was added to a packet pointer: a new family, nothing proven about it yet.
      if (ptr.type === "pkt" || ptr.type === "pkt_meta") result = { ...result, id: env.nextId(), range: 0 };
      break;
    }
    case "sub": {
      if (scalarIsDst) reject("EACCES", `R${dstno} tried to subtract pointer from scalar`);
      if (ptr.type === "stack") reject("EACCES", `R${dstno} subtraction from stack pointer prohibited`);
      const diff = known !== undefined ? ptr.off - Number(BigInt.asIntN(64, known)) : NaN;
      if (known !== undefined && diff === (diff | 0)) {
        result = { ...ptr, off: diff };
        break;
      }
      result = { ...ptr, varOff: S.alu("sub", 64, ptr.varOff, off) };
      if (ptr.type === "pkt" || ptr.type === "pkt_meta") result = { ...result, id: env.nextId(), range: off.smin < 0n ? 0 : ptr.range };
      break;
    }
    case "and":
    case "or":
    case "xor":
      return reject("EACCES", `R${dstno} bitwise operator ${ALU_STRING[op]} on pointer prohibited`);
    default:
      return reject("EACCES", `R${dstno} pointer arithmetic with ${ALU_STRING[op]} operator prohibited`);
  }
  checkSaneOffset(result.varOff, result.off, type);
  return result;
}

// check_reg_sane_offset: offsets beyond ±2^29 are refused outright.
function checkSaneOffset(v: Scalar, fixedOff: number, type: string): void {
  const limit = BigInt(BPF_MAX_VAR_OFF);
  const known = S.constValue(v);
  if (known !== undefined) {
    const val = BigInt.asIntN(64, known);
    if (val >= limit || val <= -limit) reject("EACCES", `math between ${type} pointer and ${val} is not allowed`);
  }
  if (fixedOff >= BPF_MAX_VAR_OFF || fixedOff <= -BPF_MAX_VAR_OFF) reject("EACCES", `${type} pointer offset ${fixedOff} is not allowed`);
  if (v.smin === S.S64_MIN) reject("EACCES", `math between ${type} pointer and register with unbounded min value is not allowed`);
  if (v.smin >= limit || v.smin <= -limit) reject("EACCES", `value ${v.smin} makes ${type} pointer be out of bounds`);
}

// After `rX += const` a linked register stays linked, remembering the constant (once: a second add drops the link).
function linkAfterAdd(env: Env, op: AluName, width: 32 | 64, dst: Extract<RegState, { kind: "scalar" }>, src: Scalar): [number, number?] {
  const val = S.constValue(src);
  if (!env.opts.bpfCapable || op !== "add" || width !== 64 || dst.id === 0 || val === undefined) return [0];
  if (dst.delta !== undefined || val > MAX_LINK_DELTA) return [0];
  return [dst.id, Number(val)];
}

// kernel/bpf/verifier.c: a link's constant must fit in s32 (val > (u32)S32_MAX drops it).
const MAX_LINK_DELTA = 0x7fffffffn;

const isDivMod = (op: AluName): boolean => op === "div" || op === "mod" || op === "sdiv" || op === "smod";
const isShift = (op: AluName): boolean => op === "lsh" || op === "rsh" || op === "arsh";

function shiftAmountOk(amount: Scalar, width: 32 | 64): boolean {
  const c = width === 32 ? (S.isConstant32(amount) ? amount.u32min : undefined) : S.constValue(amount);
  return c !== undefined && c < BigInt(width);
}
