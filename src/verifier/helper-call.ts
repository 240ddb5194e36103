// Helper calls (kernel/bpf/verifier.c check_helper_call, check_func_arg,
// check_mem_size_reg, check_helper_mem_access, check_map_func_compatibility):
// the helper must exist and be allowed for XDP, each argument must have the
// kind its prototype (src/helpers/prototypes.ts) names, memory arguments must
// be readable or writable for the size given, and the map must be of a kind
// the helper works with. Afterwards r1-r5 are dead and r0 holds the result.
import { type HelperArg, type HelperPrototype, HelperId, helperPrototype } from "../helpers/prototypes.ts";
import { parseBprintfFormat } from "../helpers/bprintf.ts";
import type { MapDef } from "../maps/types.ts";
import { MapType } from "../maps/types.ts";
import type { Env } from "./env.ts";
import { readReg } from "./alu-check.ts";
import { checkMemRegion, checkPacketAccess, frameOf, mapIsReadOnly, varStackRange } from "./mem-access.ts";
import { kernelInsnText, tnumText } from "./kernel-text.ts";
import * as S from "./scalar.ts";
import { NOT_INIT, isKnownZero, ptrReg, typeName, unknownScalar } from "./reg-state.ts";
import type { PtrReg, RegState } from "./reg-state.ts";
import { Reject, reject } from "./reject.ts";
import { checkLockUntouched, mayPointToSpinLock, processSpinLock } from "./spin-lock.ts";
import { VerifierUnsupportedError } from "./unsupported.ts";
import { SLOT_BYTES, STACK_BYTES, StackByte, byteIndex, curFrame, forEachReg, ownStack } from "./state.ts";
import type { VState } from "./state.ts";

// include/uapi/linux/bpf.h: __BPF_FUNC_MAX_ID in Linux 6.18 (the last helper, cgrp_storage_delete, is 211).
export const BPF_FUNC_MAX_ID = 212;
// include/linux/bpf_verifier.h BPF_MAX_VAR_SIZ.
const BPF_MAX_VAR_SIZ = 1 << 29;

// The memory types a helper's memory argument accepts (kernel/bpf/verifier.c mem_types), as the kernel lists them.
const MEM_TYPES_TEXT = "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_";
const MEM_TYPES = new Set(["stack", "pkt", "pkt_meta", "map_key", "map_value", "ringbuf_mem", "mem"]);

const funcName = (id: number, proto: HelperPrototype | undefined): string =>
  proto ? `bpf_${proto.name}` : id < 0 || id >= BPF_FUNC_MAX_ID ? "unknown" : `func`;

interface CallMeta {
  map?: MapDef;
  memRegno?: number;
  memIsNull?: boolean;
  memAccess?: "read" | "write";
  allocSize?: number;
  constKey?: bigint;
  releaseRef?: number;
  callbackPc?: number;
}

// A helper that calls back into the program (bpf_loop, bpf_for_each_map_elem): the callback's first
// instruction, and for bpf_for_each_map_elem the map whose elements it is given.
export interface CallbackRequest {
  readonly funcPc: number;
  readonly helperId: number;
  readonly map?: MapDef;
}

export const takesCallback = (helperId: number): boolean => helperPrototype(helperId)?.args.some((a) => a.type === "ARG_PTR_TO_FUNC") === true;

// The helpers whose callbacks are verified (set_loop_callback_state, set_map_elem_callback_state).
const SUPPORTED_CALLBACK_HELPERS = new Set<number>([HelperId.LOOP, HelperId.FOR_EACH_MAP_ELEM]);

export function checkHelperCall(env: Env, state: VState, pc: number, helperId: number): CallbackRequest | undefined {
  const proto = helperPrototype(helperId);
  const name = funcName(helperId, proto);
  if (helperId < 0 || helperId >= BPF_FUNC_MAX_ID) reject("EINVAL", `invalid func ${name}#${helperId}`);
  if (!proto || !proto.allowedInXdp) reject("EINVAL", `program of this type cannot use helper ${name}#${helperId}`);
  const p = proto!;
  if (takesCallback(helperId) && !SUPPORTED_CALLBACK_HELPERS.has(helperId)) {
    throw new VerifierUnsupportedError(pc, `callbacks of bpf_${p.name} (helper ${helperId}) are not modelled`, env.opts.programName);
  }
  if (p.gplOnly && !env.opts.gplCompatible) reject("EINVAL", "cannot call GPL-restricted function from non-GPL compatible program");
  const frame = curFrame(state);
  const meta: CallMeta = {};
  p.args.forEach((arg, i) => checkArg(env, state, pc, p, arg, i + 1, meta));
  if (helperId === HelperId.SNPRINTF) checkSnprintfCall(env, pc, frame.regs[3] as PtrReg, frame.regs[5]);
  if (meta.releaseRef !== undefined) releaseReference(env, state, meta.releaseRef);
  for (let r = 1; r <= 5; r++) frame.regs[r] = NOT_INIT;
  frame.regs[0] = returnValue(env, state, pc, p, meta);
  if (p.changesPacketData) {
    forEachReg(state, (r, replace) => {
      if (r.kind === "ptr" && (r.type === "pkt" || r.type === "pkt_meta" || r.type === "pkt_end")) replace(env.opts.allowPtrLeaks ? unknownScalar : NOT_INIT);
    });
  }
  checkMapCompatibility(meta.map, p, helperId, name);
  return meta.callbackPc === undefined ? undefined : { funcPc: meta.callbackPc, helperId, ...(meta.map ? { map: meta.map } : {}) };
}

function returnValue(env: Env, state: VState, pc: number, p: HelperPrototype, meta: CallMeta): RegState {
  switch (p.ret.type) {
    case "RET_VOID":
      return NOT_INIT;
    case "RET_INTEGER":
      return unknownScalar;
    case "RET_PTR_TO_MAP_VALUE": {
      const map = meta.map!;
      // A map of maps' lookup is map_value_or_null of the outer map too: the NULL check makes it the inner map's pointer (branch.ts).
      if (map.type === MapType.ARRAY_OF_MAPS || map.type === MapType.HASH_OF_MAPS) {
        return ptrReg("map_value", { map, maybeNull: true, id: env.nextId() });
      }
      const elide = p.id === HelperId.MAP_LOOKUP_ELEM && meta.constKey !== undefined && meta.constKey >= 0n && meta.constKey < BigInt(map.maxEntries);
      // A value that may hold a lock is told apart by its id, which bpf_spin_unlock compares.
      return ptrReg("map_value", { map, maybeNull: !elide, id: elide && !mayPointToSpinLock(map) ? 0 : env.nextId() });
    }
    case "RET_PTR_TO_MEM": {
      // The kernel numbers the nullable result and then the reference; both end up as the reference's id.
      env.nextId();
      const id = env.nextId();
      state.refs = [...state.refs, { id, insn: pc }];
      return ptrReg("ringbuf_mem", { maybeNull: true, id, refObjId: id, memSize: meta.allocSize ?? 0 });
    }
    default:
      throw new VerifierUnsupportedError(pc, `helper bpf_${p.name} returns ${p.ret.type}, which is not modelled`, env.opts.programName);
  }
}

const expected = (regno: number, reg: RegState, what: string): never => reject("EACCES", `R${regno} type=${typeName(reg)} expected=${what}`);

function checkArg(env: Env, state: VState, pc: number, p: HelperPrototype, arg: HelperArg, regno: number, meta: CallMeta): void {
  const frame = curFrame(state);
  const reg = readReg(frame, regno);
  const flags = arg.flags ?? [];
  const mayBeNull = flags.includes("PTR_MAYBE_NULL");
  const access: "read" | "write" = flags.includes("MEM_RDONLY") ? "read" : "write";
  switch (arg.type) {
    case "ARG_ANYTHING":
      if (reg.kind === "ptr" && !env.opts.allowPtrLeaks) reject("EACCES", `R${regno} leaks addr into helper function`);
      return;
    case "ARG_CONST_MAP_PTR":
      if (reg.kind !== "ptr" || reg.type !== "map_ptr" || reg.maybeNull) return expected(regno, reg, "map_ptr");
      meta.map = reg.map;
      if (p.id === HelperId.TAIL_CALL && reg.map!.type !== MapType.PROG_ARRAY) reject("EINVAL", "expected prog array map for tail call");
      return;
    case "ARG_PTR_TO_CTX":
      if (reg.kind !== "ptr" || reg.type !== "ctx") return expected(regno, reg, "ctx");
      if (reg.off !== 0) reject("EACCES", `dereference of modified ctx ptr R${regno} off=${reg.off} disallowed`);
      if (S.constValue(reg.varOff) !== 0n) reject("EACCES", `variable ctx access var_off=${tnumText(reg.varOff.bits)} disallowed`);
      return;
    case "ARG_PTR_TO_MAP_KEY":
    case "ARG_PTR_TO_MAP_VALUE": {
      const mem = memPointer(p, regno, reg);
      if (meta.map === undefined) reject("EACCES", `invalid map_ptr to access map->${arg.type === "ARG_PTR_TO_MAP_KEY" ? "key" : "value"}`);
      const map = meta.map!;
      const size = arg.type === "ARG_PTR_TO_MAP_KEY" ? map.keySize : map.valueSize;
      const kind = arg.type === "ARG_PTR_TO_MAP_KEY" || access === "read" || !flags.includes("MEM_UNINIT") ? "read" : "write";
      helperMemAccess(env, state, regno, mem, size, kind, false);
      if (arg.type === "ARG_PTR_TO_MAP_KEY" && (map.type === MapType.ARRAY || map.type === MapType.PERCPU_ARRAY)) {
        meta.constKey = constantStackKey(env, state, mem, map.keySize);
      }
      return;
    }
    case "ARG_PTR_TO_MEM": {
      if (mayBeNull && isKnownZero(reg)) {
        env.precision?.reg(regno);
        // NULL is fine only with a size that is zero (checked with the size argument).
        meta.memRegno = regno;
        meta.memIsNull = true;
        return;
      }
      memPointer(p, regno, reg);
      meta.memRegno = regno;
      meta.memIsNull = false;
      meta.memAccess = access;
      return;
    }
    case "ARG_PTR_TO_FIXED_SIZE_MEM": {
      const mem = memPointer(p, regno, reg);
      helperMemAccess(env, state, regno, mem, arg.sizeBytes ?? 0, access, false);
      return;
    }
    case "ARG_CONST_SIZE":
    case "ARG_CONST_SIZE_OR_ZERO": {
      if (reg.kind !== "scalar") return expected(regno, reg, "scalar");
      // check_mem_size_reg: the size's range is what makes the access safe.
      env.precision?.reg(regno);
      checkMemSize(env, state, regno, reg.value, arg.type === "ARG_CONST_SIZE_OR_ZERO", meta);
      return;
    }
    case "ARG_CONST_ALLOC_SIZE_OR_ZERO": {
      if (reg.kind !== "scalar") return expected(regno, reg, "scalar");
      const c = S.constValue(reg.value);
      if (c === undefined) reject("EACCES", `R${regno} is not a known constant'`);
      env.precision?.reg(regno);
      meta.allocSize = Number(c);
      return;
    }
    case "ARG_PTR_TO_RINGBUF_MEM": {
      if (reg.kind !== "ptr" || reg.type !== "ringbuf_mem" || reg.maybeNull) return expected(regno, reg, "ringbuf_mem");
      if (reg.off !== 0 || S.constValue(reg.varOff) !== 0n) reject("EACCES", `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
      if (reg.refObjId === undefined || !state.refs.some((r) => r.id === reg.refObjId)) reject("EINVAL", `arg ${regno - 1} is an unacquired reference`);
      meta.releaseRef = reg.refObjId;
      return;
    }
    case "ARG_PTR_TO_FUNC":
      if (reg.kind !== "ptr" || reg.type !== "func") return expected(regno, reg, "func");
      if (reg.off !== 0 || S.constValue(reg.varOff) !== 0n) reject("EINVAL", `R${regno} must point to the start of a function`);
      meta.callbackPc = reg.funcPc;
      return;
    case "ARG_PTR_TO_CONST_STR":
      if (reg.kind !== "ptr" || reg.type !== "map_value" || reg.maybeNull) return expected(regno, reg, "map_value");
      checkConstString(regno, reg);
      return;
    case "ARG_PTR_TO_SPIN_LOCK":
      // spin_lock_types: a map value (or an allocated object, which XDP programs cannot have).
      if (reg.kind !== "ptr" || reg.type !== "map_value" || reg.maybeNull) return expected(regno, reg, "map_value, ptr_");
      processSpinLock(env, state, regno, reg, p.id === HelperId.SPIN_LOCK, pc);
      return;
    case "ARG_PTR_TO_STACK":
      if (mayBeNull && isKnownZero(reg)) return env.precision?.reg(regno);
      if (reg.kind !== "ptr" || reg.type !== "stack") return expected(regno, reg, "fp");
      return;
    default:
      throw new VerifierUnsupportedError(pc, `argument R${regno} of bpf_${p.name} is of kind ${arg.type}, which is not modelled`, env.opts.programName);
  }
}

// check_reg_type for the memory kinds, and the packet rule for helpers without pkt_access.
function memPointer(p: HelperPrototype, regno: number, reg: RegState): PtrReg {
  if (reg.kind !== "ptr" || reg.maybeNull || !MEM_TYPES.has(reg.type)) return expected(regno, reg, MEM_TYPES_TEXT);
  const ptr = reg as PtrReg;
  if ((ptr.type === "pkt" || ptr.type === "pkt_meta") && !p.pktAccess) reject("EACCES", "helper access to the packet is not allowed");
  return ptr;
}

// check_reg_const_str: a constant string lies in a frozen read-only array map (its value
// known at load time) at a constant offset, NUL-terminated within the value.
function checkConstString(regno: number, reg: PtrReg): void {
  const map = reg.map!;
  if (!mapIsReadOnly(map.flags) || map.frozen !== true) reject("EACCES", `R${regno} does not point to a readonly map'`);
  const varOff = S.constValue(reg.varOff);
  if (varOff === undefined) reject("EACCES", `R${regno} is not a constant address'`);
  // Only array maps answer map_direct_value_addr.
  if (map.type !== MapType.ARRAY) reject("EACCES", "no direct value access support for this map type");
  checkMemRegion(regno, reg, reg.off, map.valueSize - reg.off, map.valueSize, false);
  // kernel/bpf/arraymap.c array_map_direct_value_addr: only a single-element array has one address.
  if (map.maxEntries !== 1) reject("ENOTSUPP", "direct value access on string failed");
  const start = constStringOffset(reg);
  if (constStringBytes(map).subarray(start).indexOf(0) < 0) reject("EINVAL", "string is not zero-terminated");
}

const constStringOffset = (reg: PtrReg): number => reg.off + Number(BigInt.asIntN(64, S.constValue(reg.varOff)!));
// A frozen map that was never written holds zeros.
const constStringBytes = (map: MapDef): Uint8Array => map.initialValue ?? new Uint8Array(map.valueSize);

// check_bpf_snprintf_call: the data length's known bits make a whole number of u64 arguments, and
// the constant format is one bpf_bprintf_prepare accepts with that many.
function checkSnprintfCall(env: Env, pc: number, fmt: PtrReg, dataLen: RegState): void {
  // The kernel reads var_off.value, the bits known to be set, even of a size that is not constant.
  const lengthBits = dataLen.kind === "scalar" ? dataLen.value.bits.value : 0n;
  if (lengthBits % 8n !== 0n) {
    // The kernel logs no reason: its last line is the call's own.
    const callText = `${pc}: (${env.opcodes[pc].toString(16)}) ${kernelInsnText(env.forms[pc]!, env.maps)}`;
    throw new Reject([callText, "(bpf_snprintf's data length in R5 is not a multiple of 8)"], "EINVAL", undefined, 0);
  }
  const numArgs = Number(BigInt.asUintN(32, lengthBits / 8n));
  const format = constStringBytes(fmt.map!).subarray(constStringOffset(fmt));
  if (parseBprintfFormat(format, numArgs) === undefined) reject("EINVAL", "Invalid format string");
}

// check_mem_size_reg: the size argument bounds the memory argument before it.
function checkMemSize(env: Env, state: VState, regno: number, size: S.Scalar, zeroOk: boolean, meta: CallMeta): void {
  if (size.smin < 0n) reject("EACCES", `R${regno} min value is negative, either use unsigned or 'var &= const'`);
  if (size.umin === 0n && !zeroOk) reject("EACCES", `R${regno} invalid zero-sized read: u64=[${BigInt.asIntN(64, size.umin)},${BigInt.asIntN(64, size.umax)}]`);
  if (size.umax >= BigInt(BPF_MAX_VAR_SIZ)) reject("EACCES", `R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
  const memRegno = meta.memRegno;
  if (memRegno === undefined || memRegno !== regno - 1) return;
  if (meta.memIsNull) {
    // check_helper_mem_access on a NULL pointer: only a zero-byte access is allowed.
    if (zeroOk && size.umax === 0n) return;
    reject("EACCES", `R${memRegno} type=scalar expected=fp`);
  }
  const mem = curFrame(state).regs[memRegno] as PtrReg;
  helperMemAccess(env, state, memRegno, mem, Number(size.umax), meta.memAccess ?? "read", zeroOk);
}

// check_helper_mem_access: `size` bytes at the pointer must be accessible; a helper's write makes stack bytes misc.
export function helperMemAccess(env: Env, state: VState, regno: number, reg: PtrReg, size: number, kind: "read" | "write", zeroOk: boolean): void {
  if (size === 0 && zeroOk) return;
  switch (reg.type) {
    case "pkt":
    case "pkt_meta":
      checkPacketAccess(regno, reg, reg.off, size, zeroOk);
      return;
    case "map_value": {
      const map = reg.map!;
      if (kind === "write" && mapIsReadOnly(map.flags)) reject("EACCES", `write into map forbidden, value_size=${map.valueSize} off=${reg.off} size=${size}`);
      checkMemRegion(regno, reg, reg.off, size, map.valueSize, zeroOk);
      checkLockUntouched(reg, reg.off, size);
      return;
    }
    case "ringbuf_mem":
    case "mem":
      checkMemRegion(regno, reg, reg.off, size, reg.memSize ?? 0, zeroOk);
      return;
    case "map_key":
      if (kind === "write") reject("EACCES", `write to change key R${regno} not allowed`);
      checkMemRegion(regno, reg, reg.off, size, reg.map!.keySize, zeroOk);
      return;
    case "stack": {
      const frame = frameOf(state, reg);
      const extra = kind === "read" ? " read from" : " write to";
      const fixed = S.constValue(reg.varOff);
      let minOff: number;
      let maxOff: number;
      if (fixed !== undefined) {
        minOff = Number(BigInt.asIntN(64, fixed)) + reg.off;
        maxOff = minOff + size;
        if (minOff < -STACK_BYTES || maxOff > 0 || size < 0) reject("EACCES", `invalid${extra} stack R${regno} off=${minOff} size=${size}`);
      } else {
        [minOff, maxOff] = varStackRange(reg, reg.off, size, regno, extra);
      }
      const depth = Math.ceil(-minOff / SLOT_BYTES) * SLOT_BYTES;
      if (depth > frame.stackDepthBytes) frame.stackDepthBytes = depth;
      // Liveness: a helper may read what it is given to write (and leave bytes unwritten), so both count as reads.
      env.stackLiveness?.read(state.frames.indexOf(frame), minOff, maxOff);
      for (let off = minOff; off < maxOff; off++) {
        const i = byteIndex(off);
        if (kind === "read") {
          if (frame.stack[i] === StackByte.INVALID && !env.opts.allowPtrLeaks) reject("EACCES", `invalid indirect read from stack R${regno} off ${minOff}+${off - minOff} size ${size}`);
          continue;
        }
        // The helper may write any byte: spills there are lost, zeros are no longer known.
        ownStack(frame);
        const slot = Math.floor(i / SLOT_BYTES);
        if (frame.stack[slot * SLOT_BYTES + SLOT_BYTES - 1] === StackByte.SPILL) {
          for (let j = 0; j < SLOT_BYTES; j++) if (frame.stack[slot * SLOT_BYTES + j] === StackByte.SPILL) frame.stack[slot * SLOT_BYTES + j] = StackByte.MISC;
          frame.spills[slot] = undefined;
        }
        frame.stack[i] = StackByte.MISC;
      }
      return;
    }
    default:
      return;
  }
}

// get_constant_map_key: an array lookup whose key on the stack is a known constant.
function constantStackKey(env: Env, state: VState, key: PtrReg, keySize: number): bigint | undefined {
  if (!env.opts.bpfCapable || key.type !== "stack") return undefined;
  const fixed = S.constValue(key.varOff);
  if (fixed === undefined) return undefined;
  const frame = frameOf(state, key);
  const stackOff = key.off + Number(BigInt.asIntN(64, fixed));
  const first = byteIndex(stackOff);
  const slot = Math.floor(first / SLOT_BYTES);
  const j = first % SLOT_BYTES;
  let zeros = 0;
  for (let k = j; k >= 0 && frame.stack[slot * SLOT_BYTES + k] === StackByte.ZERO; k--) zeros++;
  if (zeros >= keySize) return 0n;
  const spilled = frame.spills[slot];
  if (frame.stack[slot * SLOT_BYTES + SLOT_BYTES - 1] !== StackByte.SPILL || spilled?.kind !== "scalar") return undefined;
  let spillBytes = 0;
  for (let k = j; k >= 0 && frame.stack[slot * SLOT_BYTES + k] === StackByte.SPILL; k--) spillBytes++;
  if (spillBytes !== keySize) return undefined;
  const c = S.constValue(spilled.value);
  // The key's value decides whether the result can be NULL.
  if (c !== undefined) env.precision?.slot(state.frames.indexOf(frame), slot);
  return c === undefined ? undefined : BigInt.asIntN(64, c);
}

// release_reference: the record is gone; every register still pointing into it is invalid.
function releaseReference(env: Env, state: VState, refId: number): void {
  state.refs = state.refs.filter((r) => r.id !== refId);
  forEachReg(state, (r, replace) => {
    if (r.kind === "ptr" && r.refObjId === refId) replace(env.opts.allowPtrLeaks ? unknownScalar : NOT_INIT);
  });
}

// check_map_func_compatibility: which helpers each special map kind works with, and which maps each special helper takes.
function checkMapCompatibility(map: MapDef | undefined, p: HelperPrototype, helperId: number, name: string): void {
  if (map === undefined) return;
  const onlyFor: Readonly<Record<number, readonly number[]>> = {
    [MapType.PROG_ARRAY]: [HelperId.TAIL_CALL],
    [MapType.PERF_EVENT_ARRAY]: [HelperId.PERF_EVENT_OUTPUT],
    [MapType.RINGBUF]: [HelperId.RINGBUF_OUTPUT, HelperId.RINGBUF_RESERVE, HelperId.RINGBUF_QUERY],
    [MapType.DEVMAP]: [HelperId.REDIRECT_MAP, HelperId.MAP_LOOKUP_ELEM],
    [MapType.DEVMAP_HASH]: [HelperId.REDIRECT_MAP, HelperId.MAP_LOOKUP_ELEM],
    [MapType.CPUMAP]: [HelperId.REDIRECT_MAP],
    [MapType.XSKMAP]: [HelperId.REDIRECT_MAP, HelperId.MAP_LOOKUP_ELEM],
    [MapType.ARRAY_OF_MAPS]: [HelperId.MAP_LOOKUP_ELEM],
    [MapType.HASH_OF_MAPS]: [HelperId.MAP_LOOKUP_ELEM],
    [MapType.QUEUE]: [HelperId.MAP_PEEK_ELEM, HelperId.MAP_POP_ELEM, HelperId.MAP_PUSH_ELEM],
    [MapType.STACK]: [HelperId.MAP_PEEK_ELEM, HelperId.MAP_POP_ELEM, HelperId.MAP_PUSH_ELEM],
    [MapType.BLOOM_FILTER]: [HelperId.MAP_PEEK_ELEM, HelperId.MAP_PUSH_ELEM],
  };
  const mapsFor: Readonly<Record<number, readonly number[]>> = {
    [HelperId.TAIL_CALL]: [MapType.PROG_ARRAY],
    [HelperId.PERF_EVENT_OUTPUT]: [MapType.PERF_EVENT_ARRAY],
    [HelperId.RINGBUF_OUTPUT]: [MapType.RINGBUF],
    [HelperId.RINGBUF_RESERVE]: [MapType.RINGBUF],
    [HelperId.RINGBUF_QUERY]: [MapType.RINGBUF],
    [HelperId.REDIRECT_MAP]: [MapType.DEVMAP, MapType.DEVMAP_HASH, MapType.CPUMAP, MapType.XSKMAP],
    [HelperId.MAP_PUSH_ELEM]: [MapType.QUEUE, MapType.STACK, MapType.BLOOM_FILTER],
    [HelperId.MAP_POP_ELEM]: [MapType.QUEUE, MapType.STACK],
    [HelperId.MAP_PEEK_ELEM]: [MapType.QUEUE, MapType.STACK, MapType.BLOOM_FILTER],
    [HelperId.MAP_LOOKUP_PERCPU_ELEM]: [MapType.PERCPU_ARRAY, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH],
  };
  const allowedHelpers = onlyFor[map.type];
  const allowedMaps = mapsFor[p.id];
  if ((allowedHelpers !== undefined && !allowedHelpers.includes(p.id)) || (allowedMaps !== undefined && !allowedMaps.includes(map.type))) {
    reject("EINVAL", `cannot pass map_type ${map.type} into func ${name}#${helperId}`);
  }
}
