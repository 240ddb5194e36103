// Text in the kernel verifier's log format: numbers as kernel/bpf/log.c
// prints them (decimal up to 16-bit magnitudes, hex beyond), register states
// (print_reg_state), the stack (print_verifier_state) and instructions the way
// kernel/bpf/disasm.c prints them ("(61) r2 = *(u32 *)(r1 +4)").
import type { Instruction } from "../ebpf/describe.ts";
import { joinImm64 } from "../ebpf/instruction.ts";
import { helperName } from "../helpers/prototypes.ts";
import type { MapDef } from "../maps/types.ts";
import * as S from "./scalar.ts";
import type { Scalar } from "./scalar.ts";
import * as T from "./tnum.ts";
import type { Tnum } from "./tnum.ts";
import type { PtrReg, RegState } from "./reg-state.ts";
import { typeName } from "./reg-state.ts";

// kernel/bpf/log.c: UNUM_MAX_DECIMAL = U16_MAX, SNUM_*_DECIMAL = S16_MIN..S16_MAX.
const UNUM_MAX_DECIMAL = 0xffffn;
const SNUM_MIN_DECIMAL = -0x8000n;
const SNUM_MAX_DECIMAL = 0x7fffn;

export const unum = (n: bigint): string => (n <= UNUM_MAX_DECIMAL ? `${n}` : `0x${n.toString(16)}`);
export function snum(n: bigint): string {
  const s = BigInt.asIntN(64, n);
  return s >= SNUM_MIN_DECIMAL && s <= SNUM_MAX_DECIMAL ? `${s}` : `0x${BigInt.asUintN(64, n).toString(16)}`;
}

// tnum_strn: a known constant as a number, otherwise "(value; mask)".
export const tnumText = (t: Tnum): string => (T.isConst(t) ? unum(t.value) : `(0x${t.value.toString(16)}; 0x${t.mask.toString(16)})`);

// print_scalar_ranges: equal bounds of the same parity share one "a=b=value".
function scalarRanges(s: Scalar): string[] {
  const sdec = (v: bigint): bigint => (v >= SNUM_MIN_DECIMAL && v <= SNUM_MAX_DECIMAL ? v : BigInt.asUintN(32, v));
  const items = [
    { name: "smin", val: BigInt.asUintN(64, s.smin), omit: s.smin === S.S64_MIN },
    { name: "smax", val: BigInt.asUintN(64, s.smax), omit: s.smax === S.S64_MAX },
    { name: "umin", val: s.umin, omit: s.umin === 0n },
    { name: "umax", val: s.umax, omit: s.umax === S.U64_MAX },
    { name: "smin32", val: BigInt.asUintN(64, sdec(s.s32min)), omit: s.s32min === S.S32_MIN },
    { name: "smax32", val: BigInt.asUintN(64, sdec(s.s32max)), omit: s.s32max === S.S32_MAX },
    { name: "umin32", val: s.u32min, omit: s.u32min === 0n },
    { name: "umax32", val: s.u32max, omit: s.u32max === S.U32_MAX },
  ];
  const out: string[] = [];
  items.forEach((m1, i) => {
    if (m1.omit) return;
    const neg1 = m1.name[0] === "s" && BigInt.asIntN(64, m1.val) < 0n;
    let text = `${m1.name}=`;
    for (let j = i + 2; j < items.length; j += 2) {
      const m2 = items[j];
      if (m2.omit || m2.val !== m1.val) continue;
      const neg2 = m2.name[0] === "s" && BigInt.asIntN(64, m2.val) < 0n;
      if (neg1 !== neg2) continue;
      m2.omit = true;
      text += `${m2.name}=`;
    }
    out.push(text + (m1.name[0] === "s" ? snum(m1.val) : unum(m1.val)));
  });
  return out;
}

const mapLabel = (map: MapDef): string[] => [...(map.name ? [`map=${map.name}`] : []), `ks=${map.keySize},vs=${map.valueSize}`];

// print_reg_state, seen from frame `frameNo`.
export function regText(r: RegState, frameNo = 0): string {
  switch (r.kind) {
    case "not_init":
      return "?";
    case "scalar": {
      const c = S.constValue(r.value);
      if (c !== undefined) return snum(c);
      const link = r.delta === undefined ? "" : `${r.delta >= 0 ? "+" : ""}${r.delta}`;
      const parts = [...(r.id ? [`id=${r.id}${link}`] : []), ...scalarRanges(r.value)];
      if (!T.isUnknown(r.value.bits)) parts.push(`var_off=${tnumText(r.value.bits)}`);
      return `scalar(${parts.join(",")})`;
    }
    case "ptr":
      return ptrText(r, frameNo);
  }
}

function ptrText(r: PtrReg, frameNo: number): string {
  let text = typeName(r);
  const fixedVar = S.constValue(r.varOff);
  if (r.type === "stack") {
    if (r.frameNo !== undefined && r.frameNo !== frameNo) text += `[${r.frameNo}]`;
    if (fixedVar !== undefined) return text + snum(fixedVar + BigInt(r.off));
  }
  const parts: string[] = [];
  if (r.id) parts.push(`id=${r.id}`);
  if (r.refObjId) parts.push(`ref_obj_id=${r.refObjId}`);
  if (r.map && (r.type === "map_value" || r.type === "map_key" || r.type === "map_ptr")) parts.push(...mapLabel(r.map));
  if (r.off) parts.push(`off=${snum(BigInt(r.off))}`);
  if (r.type === "pkt" || r.type === "pkt_meta") parts.push(`r=${unum(BigInt.asUintN(64, BigInt(r.range)))}`);
  if (r.type === "ringbuf_mem" || r.type === "mem") parts.push(`sz=${unum(BigInt(r.memSize ?? 0))}`);
  if (fixedVar !== undefined) {
    if (fixedVar !== 0n) parts.push(`imm=${snum(fixedVar)}`);
  } else {
    parts.push(...scalarRanges(r.varOff));
    if (!T.isUnknown(r.varOff.bits)) parts.push(`var_off=${tnumText(r.varOff.bits)}`);
  }
  return `${text}(${parts.join(",")})`;
}

// Where the ';' of an instruction's state line goes (kernel/bpf/log.c vlog_alignment, BPF_LOG_ALIGNMENT 40, BPF_LOG_MIN_ALIGNMENT 8).
export function alignState(insnText: string): string {
  const column = Math.ceil(Math.max(insnText.length + 5, 40) / 8) * 8 - 1;
  return `${insnText.padEnd(column - 1)};`;
}

const KERNEL_ALU: Readonly<Record<string, string>> = {
  add: "+=", sub: "-=", mul: "*=", div: "/=", sdiv: "s/=", or: "|=", and: "&=", lsh: "<<=", rsh: ">>=",
  mod: "%=", smod: "s%=", xor: "^=", mov: "=", arsh: "s>>=",
};
const KERNEL_CMP: Readonly<Record<string, string>> = {
  jeq: "==", jgt: ">", jge: ">=", jset: "&", jne: "!=", jsgt: "s>", jsge: "s>=", jlt: "<", jle: "<=", jslt: "s<", jsle: "s<=",
};

const reg = (n: number, width: 32 | 64 = 64): string => `${width === 32 ? "w" : "r"}${n}`;
const at = (base: number, off: number): string => `(r${base} ${off >= 0 ? "+" : ""}${off})`;
const pcRel = (off: number): string => `pc${off >= 0 ? "+" : ""}${off}`;

// kernel/bpf/disasm.c print_bpf_insn, without the opcode prefix; maps are named instead of their kernel address.
export function kernelInsnText(form: Instruction, maps: readonly MapDef[]): string {
  switch (form.kind) {
    case "alu": {
      const src = form.source === "reg" ? reg(form.src, form.width) : `${form.imm}`;
      return `${reg(form.dst, form.width)} ${KERNEL_ALU[form.op]} ${src}`;
    }
    case "neg":
      return `${reg(form.dst, form.width)} = -${reg(form.dst, form.width)}`;
    case "movsx":
      return `${reg(form.dst, form.width)} = (s${form.fromBits})${reg(form.src, form.width)}`;
    case "endian":
      return `${reg(form.dst)} = ${form.op}${form.bits} ${reg(form.dst)}`;
    case "ja":
      return `${form.long ? "gotol" : "goto"} ${pcRel(form.offset)}`;
    case "jcond": {
      const src = form.source === "reg" ? reg(form.src, form.width) : `0x${(form.imm >>> 0).toString(16)}`;
      return `if ${reg(form.dst, form.width)} ${KERNEL_CMP[form.op]} ${src} goto ${pcRel(form.offset)}`;
    }
    case "callHelper":
      return `call ${helperName(form.helperId).startsWith("helper") ? "unknown" : helperName(form.helperId)}#${form.helperId}`;
    case "callLocal":
      return `call ${pcRel(form.offset)}`;
    case "callKfunc":
      return `call kernel-function#${form.btfId}`;
    case "callx":
      return `callx ${reg(form.dst)}`;
    case "exit":
      return "exit";
    case "lddw": {
      switch (form.pseudo) {
        case "imm64":
          return `${reg(form.dst)} = 0x${joinImm64(form.imm, form.nextImm).toString(16)}`;
        case "mapIdx":
        case "mapFd":
          return `${reg(form.dst)} = map[${maps[form.imm]?.name ?? `#${form.imm}`}]`;
        case "mapIdxValue":
        case "mapValue":
          return `${reg(form.dst)} = map[${maps[form.imm]?.name ?? `#${form.imm}`}]+${form.nextImm >>> 0}`;
        default:
          return `${reg(form.dst)} = ${form.pseudo}(0x${joinImm64(form.imm, form.nextImm).toString(16)})`;
      }
    }
    case "ldLegacy":
      return form.mode === "abs" ? `r0 = *(u${form.sizeBytes * 8} *)skb[${form.imm}]` : `r0 = *(u${form.sizeBytes * 8} *)skb[r${form.src} + ${form.imm}]`;
    case "load":
      return `${reg(form.dst)} = *(${form.signed ? "s" : "u"}${form.sizeBytes * 8} *)${at(form.src, form.off)}`;
    case "storeImm":
      return `*(u${form.sizeBytes * 8} *)${at(form.dst, form.off)} = ${form.imm}`;
    case "storeReg":
      return `*(u${form.sizeBytes * 8} *)${at(form.dst, form.off)} = ${reg(form.src)}`;
    case "atomic": {
      const bits = form.sizeBytes * 8;
      const w = bits === 64 ? "64" : "";
      const src = reg(form.src, bits === 64 ? 64 : 32);
      const addr = `(u${bits} *)${at(form.dst, form.off)}`;
      if (form.op === "cmpxchg") return `${reg(0, bits === 64 ? 64 : 32)} = atomic${w}_cmpxchg(${addr}, ${reg(0, bits === 64 ? 64 : 32)}, ${src})`;
      if (form.op === "xchg") return `${src} = atomic${w}_xchg(${addr}, ${src})`;
      if (form.fetch) return `${src} = atomic${w}_fetch_${form.op}(${addr}, ${src})`;
      return `lock *${addr} ${KERNEL_ALU[form.op]} ${src}`;
    }
  }
}
