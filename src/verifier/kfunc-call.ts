// kfunc calls (kernel/bpf/verifier.c check_kfunc_call, check_kfunc_args,
// get_kfunc_ptr_arg_type) for the kfuncs of kfunc-table.ts: the prototype
// comes from the kernel BTF, the flags from the table. Checked as the kernel
// does for the common argument kinds: scalars, the XDP context, memory whose
// size is the next `__sz`/`__szk` argument or the pointee's size, and kernel
// struct pointers (PTR_TO_BTF_ID) with KF_TRUSTED_ARGS / KF_RELEASE; KF_ACQUIRE
// results are references that must be released before exit, KF_RET_NULL
// results must be NULL-checked. Anything else gets no verdict.
import { KernelBtfError, readKernelBtf, type KernelFunc, type KernelParam, type KernelType } from "../elf/kernel-btf.ts";
import { readReg } from "./alu-check.ts";
import type { Env } from "./env.ts";
import { helperMemAccess } from "./helper-call.ts";
import { hasFlag, kfuncEntry, type KfuncEntry } from "./kfunc-table.ts";
import { NOT_INIT, isKnownZero, ptrReg, typeName, unknownScalar, type PtrReg, type RegState } from "./reg-state.ts";
import { Reject, reject } from "./reject.ts";
import * as S from "./scalar.ts";
import { curFrame, forEachReg, type VState } from "./state.ts";
import { VerifierUnsupportedError } from "./unsupported.ts";

// include/linux/bpf_verifier.h BPF_MAX_VAR_SIZ.
const BPF_MAX_VAR_SIZ = 1 << 29;
// The context struct of an XDP program (btf_is_prog_ctx_type: bpf_ctx_convert's user type for XDP).
const XDP_CTX_STRUCT = "xdp_md";
// Memory a helper or kfunc may be given (check_helper_mem_access's register types).
const MEM_TYPES = new Set(["stack", "pkt", "pkt_meta", "map_value", "ringbuf_mem", "mem"]);

// Kernel parameter-name suffixes (kernel/bpf/verifier.c is_kfunc_arg_mem_size / _const_mem_size / _nullable / _optional).
const isSizeParam = (p: KernelParam | undefined): boolean => p !== undefined && (p.name.endsWith("__sz") || p.name.endsWith("__szk")) && (p.type.kind === "int" || p.type.kind === "enum");
const isNullableParam = (p: KernelParam): boolean => p.name.endsWith("__nullable") || p.name.endsWith("__opt");

// A __ksym variable load: the loader leaves it as a plain ld_imm64 (the kernel would see a typed
// kernel pointer), so a program with one gets no verdict rather than a verdict on the wrong program.
export function refuseKsymLoads(externs: readonly { readonly kind: string; readonly name: string; readonly pc: number }[] | undefined, programName?: string): void {
  const ksym = externs?.find((e) => e.kind === "ksym");
  if (ksym) throw new VerifierUnsupportedError(ksym.pc, `the __ksym variable ${ksym.name} is not modelled by our verifier`, programName);
}

export function checkKfuncCall(env: Env, state: VState, pc: number, btfId: number): void {
  const func = resolve(env, pc, btfId);
  const entry = kfuncEntry(func.name);
  if (!entry) throw new VerifierUnsupportedError(pc, `kfunc call not supported by our verifier: ${func.name}`, env.opts.programName);
  // add_kfunc_call: both refusals come before the program is walked.
  if (!env.opts.gplCompatible) reject("EINVAL", "cannot call kernel function from non-GPL compatible program");
  if (entry.deviceBound) reject("EINVAL", "metadata kfuncs require device-bound program");
  const frame = curFrame(state);
  let releaseRef: number | undefined;
  for (let i = 0; i < func.params.length; i++) {
    const param = func.params[i];
    const regno = i + 1;
    const reg = readReg(frame, regno);
    const type = param.type;
    if (type.kind === "int" || type.kind === "enum") {
      if (reg.kind !== "scalar") reject("EINVAL", `R${regno} is not a scalar`);
      continue;
    }
    if (type.kind !== "pointer") throw unsupported(env, pc, func, `argument ${i} (${param.text}${param.name})`);
    if ((isKnownZero(reg) || (reg.kind === "ptr" && reg.maybeNull)) && !isNullableParam(param)) reject("EACCES", `Possibly NULL pointer passed to trusted arg${i}`);
    if (reg.kind === "ptr" && reg.refObjId !== undefined && hasFlag(entry, "KF_RELEASE")) releaseRef ??= reg.refObjId;
    const sizeParam = func.params[i + 1];
    if (type.pointee.kind === "struct" && type.pointee.name === XDP_CTX_STRUCT) {
      checkCtxArg(i, regno, reg);
    } else if (reg.kind === "ptr" && reg.type === "btf_id" && type.pointee.kind === "struct") {
      checkStructArg(entry, func, i, regno, reg, type.pointee);
    } else if (isSizeParam(sizeParam)) {
      checkMemSizeArgs(env, state, i, regno, reg);
      i++;
    } else if (type.pointee.kind === "int" || type.pointee.kind === "enum") {
      checkMemArg(env, state, regno, reg, type.pointee.bytes);
    } else {
      throw unsupported(env, pc, func, `argument ${i} (${param.text}${param.name}) given ${typeName(reg)}`);
    }
  }
  if (hasFlag(entry, "KF_RELEASE")) {
    if (releaseRef === undefined) reject("EINVAL", `release kernel function ${func.name} expects refcounted PTR_TO_BTF_ID`);
    releaseReference(env, state, releaseRef!);
  }
  for (let r = 1; r <= 5; r++) frame.regs[r] = NOT_INIT;
  frame.regs[0] = returnValue(env, state, pc, entry, func);
}

function resolve(env: Env, pc: number, btfId: number): KernelFunc {
  const name = env.opts.kfuncNames.get(pc);
  let kernel;
  try {
    kernel = readKernelBtf(env.opts.kernelBtfPath);
  } catch (failure) {
    if (failure instanceof KernelBtfError) throw new VerifierUnsupportedError(pc, `a kfunc call${name ? ` to ${name}` : ""} needs the kernel BTF: ${failure.message}`, env.opts.programName);
    throw failure;
  }
  if (name !== undefined) {
    const found = kernel.findFunc(name);
    if (!found) throw new KernelBtfError(`instruction ${pc}: kfunc ${name} is not in the kernel BTF at ${kernel.path}`, { pc });
    return found;
  }
  const byId = kernel.findFuncById(btfId);
  if (!byId) reject("EINVAL", `kernel btf_id ${btfId} is not a function`);
  return byId!;
}

const unsupported = (env: Env, pc: number, func: KernelFunc, what: string) =>
  new VerifierUnsupportedError(pc, `kfunc ${func.name}: ${what} is not modelled by our verifier`, env.opts.programName);

// KF_ARG_PTR_TO_CTX.
function checkCtxArg(i: number, regno: number, reg: RegState): void {
  if (reg.kind !== "ptr" || reg.type !== "ctx") reject("EINVAL", `arg#${i} expected pointer to ctx, but got ${typeName(reg)}`);
  const ptr = reg as PtrReg;
  if (ptr.off !== 0 || S.constValue(ptr.varOff) !== 0n) reject("EACCES", `dereference of modified ctx ptr R${regno} off=${ptr.off} disallowed`);
}

// KF_ARG_PTR_TO_BTF_ID: a trusted pointer for KF_TRUSTED_ARGS and release kfuncs, at offset 0, to the very struct.
function checkStructArg(entry: KfuncEntry, func: KernelFunc, i: number, regno: number, reg: PtrReg, want: Extract<KernelType, { kind: "struct" | "union" }>): void {
  const held = reg.kernelStruct!;
  const strict = hasFlag(entry, "KF_TRUSTED_ARGS") || hasFlag(entry, "KF_RELEASE");
  if (strict && !held.trusted && reg.refObjId === undefined) reject("EINVAL", `R${regno} must be referenced or trusted`);
  if (reg.off !== 0 || S.constValue(reg.varOff) !== 0n) reject("EINVAL", `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
  if (held.btfId !== want.btfId) {
    reject("EINVAL", `kernel function ${func.name} args#${i} expected pointer to STRUCT ${want.name} but R${regno} has a pointer to STRUCT ${held.name}`);
  }
}

// KF_ARG_PTR_TO_MEM_SIZE (check_kfunc_mem_size_reg): the memory must be readable and writable for the size's largest value.
function checkMemSizeArgs(env: Env, state: VState, i: number, regno: number, reg: RegState): void {
  const frame = curFrame(state);
  const sizeReg = readReg(frame, regno + 1);
  if (sizeReg.kind !== "scalar") return reject("EACCES", `R${regno + 1} type=${typeName(sizeReg)} expected=scalar`);
  const size = sizeReg.value;
  env.precision?.reg(regno + 1);
  try {
    if (size.smin < 0n) reject("EACCES", `R${regno + 1} min value is negative, either use unsigned or 'var &= const'`);
    if (size.umax >= BigInt(BPF_MAX_VAR_SIZ)) reject("EACCES", `R${regno + 1} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
    if (reg.kind !== "ptr" || !MEM_TYPES.has(reg.type)) reject("EACCES", `R${regno} type=${typeName(reg)} expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_`);
    const bytes = Number(size.umax);
    helperMemAccess(env, state, regno, reg as PtrReg, bytes, "read", true);
    helperMemAccess(env, state, regno, reg as PtrReg, bytes, "write", true);
  } catch (failure) {
    // The kernel logs the check's own reason, then the pair line.
    if (failure instanceof Reject) reject(failure.errno, ...failure.lines, `arg#${i} arg#${i + 1} memory, len pair leads to invalid memory access`);
    throw failure;
  }
}

// KF_ARG_PTR_TO_MEM (check_mem_reg): a pointer to a scalar of the pointee's size, read and written.
function checkMemArg(env: Env, state: VState, regno: number, reg: RegState, bytes: number): void {
  if (reg.kind !== "ptr" || !MEM_TYPES.has(reg.type)) reject("EACCES", `R${regno} type=${typeName(reg)} expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_`);
  helperMemAccess(env, state, regno, reg as PtrReg, bytes, "read", true);
  helperMemAccess(env, state, regno, reg as PtrReg, bytes, "write", true);
}

function returnValue(env: Env, state: VState, pc: number, entry: KfuncEntry, func: KernelFunc): RegState {
  const ret = func.returns;
  switch (ret.kind) {
    case "void":
      return NOT_INIT;
    case "int":
    case "enum":
      return unknownScalar;
    case "pointer": {
      const pointee = ret.pointee;
      if (pointee.kind !== "struct") throw unsupported(env, pc, func, `its result (${func.returnText})`);
      const acquire = hasFlag(entry, "KF_ACQUIRE");
      const maybeNull = hasFlag(entry, "KF_RET_NULL");
      // check_kfunc_call numbers the nullable result first, then the reference; the reference's id wins.
      let id = maybeNull ? env.nextId() : 0;
      let refObjId: number | undefined;
      if (acquire) {
        id = env.nextId();
        refObjId = id;
        state.refs = [...state.refs, { id, insn: pc }];
      }
      return ptrReg("btf_id", {
        maybeNull,
        id,
        ...(refObjId !== undefined ? { refObjId } : {}),
        memSize: pointee.bytes,
        kernelStruct: { btfId: pointee.btfId, name: pointee.name, bytes: pointee.bytes, trusted: acquire },
      });
    }
    default:
      throw unsupported(env, pc, func, `its result (${func.returnText})`);
  }
}

// release_reference: the reference is gone, and every register still holding it is invalid.
function releaseReference(env: Env, state: VState, refId: number): void {
  state.refs = state.refs.filter((r) => r.id !== refId);
  forEachReg(state, (r, replace) => {
    if (r.kind === "ptr" && r.refObjId === refId) replace(env.opts.allowPtrLeaks ? unknownScalar : NOT_INIT);
  });
}
