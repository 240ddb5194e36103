// Lowering of the arithmetic instructions (ALU, ALU64, NEG, MOVSX, byte order)
// to 32-bit microcode. A 64-bit value is a pair (lo, hi): add/sub chain the
// carry (add/addc, sub/subc), shifts combine the words with dbl_shr, multiply
// runs the 32x32 multiplier up to three times, division runs a restoring
// shift-subtract loop (the NFP has no divider). Every rule follows the
// interpreter's semantics (src/interp/alu.ts): masked shift amounts, zero
// upper words for 32-bit results, division by zero gives 0 and modulo by zero
// leaves the dividend.
import { Op } from "../../hw-model/isa/opcode.ts";
import { IMM, NONE } from "../../hw-model/isa/register.ts";
import type { AluInstruction, ArithmeticInstruction } from "../ebpf/index.ts";
import { immAsU64 } from "../interp/u64.ts";
import type { VReg } from "./ir.ts";
import { constPair, readPair, resultConst, resultHigh, writePair, type LowerCtx, type Pair } from "./lower-context.ts";
import { constOf, hiOf, loOf, reg, val, type MBuilder, type Src } from "./micro-ir.ts";
import { activeMutant } from "./mutants.ts";

const M32 = 0xffffffff;

function srcPair(ctx: LowerCtx, f: AluInstruction): Pair {
  return f.source === "reg" ? readPair(ctx, f.src) : constPair(immAsU64(f.imm));
}

// A 32-bit logic op with constant folding; returns where the result is.
function logic32(b: MBuilder, op: number, x: Src, y: Src): Src {
  const cx = constOf(x);
  const cy = constOf(y);
  if (cx !== undefined && cy !== undefined) {
    const r = op === Op.AND ? cx & cy : op === Op.OR ? cx | cy : cx ^ cy;
    return val(r >>> 0);
  }
  // Normalize: constant on the right.
  if (cx !== undefined) return logic32(b, op, y, x);
  if (cy === 0) return op === Op.AND ? val(0) : x;
  if (cy === M32) {
    if (op === Op.AND) return x;
    if (op === Op.OR) return val(M32);
    const t = b.temp();
    b.emit(Op.NOT, { d: t, b: (x as { reg: number }).reg });
    return reg(t);
  }
  const t = b.temp();
  b.alu(op, t, x, y);
  return reg(t);
}

// d = byte-swapped 32-bit x (two instructions: rotate, then patch bytes 0 and 2).
export function bswap32(b: MBuilder, x: Src): Src {
  const c = constOf(x);
  if (c !== undefined) return val((((c & 0xff) << 24) | ((c & 0xff00) << 8) | ((c >>> 8) & 0xff00) | (c >>> 24)) >>> 0);
  const r = b.inReg(x);
  const t = b.temp();
  b.emit(Op.ROL, { d: t, a: r, imm: 24 });
  b.emit(Op.LD_FIELD, { d: t, n: 0b0101, b: r, imm: 24 });
  return reg(t);
}

// d = the low 16 bits of x byte-swapped, zero-extended.
export function bswap16(b: MBuilder, x: Src): Src {
  const c = constOf(x);
  if (c !== undefined) return val(((c & 0xff) << 8) | ((c >>> 8) & 0xff));
  const r = b.inReg(x);
  const t = b.temp();
  b.emit(Op.BYTE_EXT, { d: t, a: r, imm: 1 });
  b.emit(Op.LD_FIELD, { d: t, n: 0b0010, b: r, imm: 24 });
  return reg(t);
}

// Low 32 bits of x * y, and optionally the high 32 bits.
function mul32(b: MBuilder, x: Src, y: Src, wantHigh: boolean): { lo: Src; hi: Src } {
  const cx = constOf(x);
  const cy = constOf(y);
  if (cx !== undefined && cy !== undefined) {
    const p = BigInt(cx) * BigInt(cy);
    return { lo: val(Number(p & 0xffffffffn)), hi: val(Number(p >> 32n)) };
  }
  if (cx === 0 || cy === 0) return { lo: val(0), hi: val(0) };
  const rx = b.inReg(x);
  const ry = b.inReg(y);
  b.emit(Op.MUL_START, { a: rx, b: ry });
  for (let i = 0; i < 4; i++) b.emit(Op.MUL_STEP, {});
  const lo = b.temp();
  b.emit(Op.MUL_LO, { d: lo });
  if (!wantHigh) return { lo: reg(lo), hi: val(0) };
  const hi = b.temp();
  b.emit(Op.MUL_HI, { d: hi });
  return { lo: reg(lo), hi: reg(hi) };
}

// x + y (+ y2...) over 32 bits, for the cross terms of a multiply.
function add32(b: MBuilder, x: Src, y: Src): Src {
  const cx = constOf(x);
  const cy = constOf(y);
  if (cx !== undefined && cy !== undefined) return val((cx + cy) >>> 0);
  if (cx === 0) return y;
  if (cy === 0) return x;
  const t = b.temp();
  b.alu(Op.ADD, t, x, y);
  return reg(t);
}

function lowerMul(ctx: LowerCtx, d: VReg, a: Pair, s: Pair, width: 32 | 64): Pair {
  const b = ctx.b;
  if (width === 32) return { lo: mul32(b, a.lo, s.lo, false).lo, hi: val(0) };
  const p = mul32(b, a.lo, s.lo, true);
  const c1 = constOf(s.hi) === 0 ? val(0) : mul32(b, a.lo, s.hi, false).lo;
  const c2 = constOf(a.hi) === 0 ? val(0) : mul32(b, a.hi, s.lo, false).lo;
  void d;
  return { lo: p.lo, hi: add32(b, add32(b, p.hi, c1), c2) };
}

// 64-bit add/sub: the carry chain. Operands are made ready before the first instruction.
function addSub64(ctx: LowerCtx, d: VReg, a: Pair, s: Pair, sub: boolean): Pair {
  const b = ctx.b;
  const lo = b.temp();
  if (resultHigh(ctx, d) !== undefined) {
    b.alu(sub ? Op.SUB : Op.ADD, lo, a.lo, s.lo);
    return { lo: reg(lo), hi: val(resultHigh(ctx, d)!) };
  }
  const pl = b.prepare(a.lo, s.lo);
  const ph = b.prepare(a.hi, s.hi);
  const hi = b.temp();
  b.aluPrepared(sub ? Op.SUB : Op.ADD, lo, pl);
  b.aluPrepared(sub ? Op.SUBC : activeMutant() === "add64-no-carry" ? Op.ADD : Op.ADDC, hi, ph);
  return { lo: reg(lo), hi: reg(hi) };
}

function shiftImm64(b: MBuilder, op: "lsh" | "rsh" | "arsh", a: Pair, k: number): Pair {
  if (k === 0) return a;
  const t = (): number => b.temp();
  if (op === "lsh") {
    if (k < 32) {
      const hi = t();
      b.dblShr(hi, a.hi, a.lo, 32 - k);
      const lo = t();
      b.shift(Op.SHL, lo, a.lo, k);
      return { lo: reg(lo), hi: reg(hi) };
    }
    if (k === 32) return { lo: val(0), hi: a.lo };
    const hi = t();
    b.shift(Op.SHL, hi, a.lo, k - 32);
    return { lo: val(0), hi: reg(hi) };
  }
  if (k < 32 && op === "rsh" && constOf(a.hi) === 0) {
    const lo = t();
    b.shift(Op.SHR, lo, a.lo, k);
    return { lo: reg(lo), hi: val(0) };
  }
  if (k < 32) {
    const lo = t();
    b.dblShr(lo, a.hi, a.lo, k);
    const hi = t();
    b.shift(op === "rsh" ? Op.SHR : Op.ASR, hi, a.hi, k);
    return { lo: reg(lo), hi: reg(hi) };
  }
  if (op === "rsh") {
    if (k === 32) return { lo: a.hi, hi: val(0) };
    const lo = t();
    b.shift(Op.SHR, lo, a.hi, k - 32);
    return { lo: reg(lo), hi: val(0) };
  }
  const lo = t();
  if (k === 32) b.mov(lo, a.hi);
  else b.shift(Op.ASR, lo, a.hi, k - 32);
  const hi = t();
  b.shift(Op.ASR, hi, a.hi, 31);
  return { lo: reg(lo), hi: reg(hi) };
}

// 64-bit shift by a register: the amount's bit 5 picks the word-crossing path.
function shiftReg64(b: MBuilder, op: "lsh" | "rsh" | "arsh", a: Pair, amount: Src, irBlock: number): Pair {
  const s = b.inReg(amount);
  const lo = b.temp();
  const hi = b.temp();
  const aLo = b.inReg(a.lo);
  const aHi = b.inReg(a.hi);
  const small = b.newBlock(irBlock);
  const big = b.newBlock(irBlock);
  const join = b.newBlock(irBlock);
  b.end({ kind: "bitbranch", op: Op.BR_BSET, reg: s, bit: 5, target: big, fallthrough: small });
  b.enter(small);
  if (op === "lsh") {
    // hi = (aHi << s) | ((aLo >>> 1) >>> (31 - s)): no special case for s = 0.
    const t1 = b.temp();
    b.emit(Op.SHR, { d: t1, a: aLo, imm: 1 });
    const n = b.temp();
    b.emit(Op.SUB, { d: n, a: IMM, imm: 31, b: s });
    const t2 = b.temp();
    b.emit(Op.SHR, { d: t2, a: t1, b: n });
    const t3 = b.temp();
    b.emit(Op.SHL, { d: t3, a: aHi, b: s });
    b.emit(Op.OR, { d: hi, a: t3, b: t2 });
    b.emit(Op.SHL, { d: lo, a: aLo, b: s });
  } else {
    b.emit(Op.DBL_SHR, { d: lo, a: aHi, b: aLo, c: s });
    b.emit(op === "rsh" ? Op.SHR : Op.ASR, { d: hi, a: aHi, b: s });
  }
  b.end({ kind: "goto", target: join });
  b.enter(big);
  if (op === "lsh") {
    b.emit(Op.SHL, { d: hi, a: aLo, b: s });
    b.materialize(0, lo);
  } else if (op === "rsh") {
    b.emit(Op.SHR, { d: lo, a: aHi, b: s });
    b.materialize(0, hi);
  } else {
    b.emit(Op.ASR, { d: lo, a: aHi, b: s });
    b.emit(Op.ASR, { d: hi, a: aHi, imm: 31 });
  }
  b.end({ kind: "goto", target: join });
  b.enter(join);
  return { lo: reg(lo), hi: reg(hi) };
}

function shift32(b: MBuilder, op: "lsh" | "rsh" | "arsh", x: Src, amount: Src): Src {
  const code = op === "lsh" ? Op.SHL : op === "rsh" ? Op.SHR : Op.ASR;
  const k = constOf(amount);
  const cx = constOf(x);
  if (k !== undefined && cx !== undefined) {
    const s = k & 31;
    return val((op === "lsh" ? cx << s : op === "rsh" ? cx >>> s : (cx | 0) >> s) >>> 0);
  }
  if (k !== undefined && (k & 31) === 0) return x;
  const t = b.temp();
  if (k !== undefined) b.shift(code, t, x, k & 31);
  else b.shift(code, t, x, amount);
  return reg(t);
}

export function lowerArithmetic(ctx: LowerCtx, f: ArithmeticInstruction, irBlock: number): void {
  const b = ctx.b;
  const d = f.dst;
  const known = resultConst(ctx, d);
  if (known !== undefined) {
    writePair(ctx, d, constPair(known));
    return;
  }
  switch (f.kind) {
    case "neg": {
      const a = readPair(ctx, d);
      if (f.width === 32) {
        const t = b.temp();
        b.alu(Op.SUB, t, val(0), a.lo);
        writePair(ctx, d, { lo: reg(t), hi: val(0) });
      } else writePair(ctx, d, addSub64(ctx, d, { lo: val(0), hi: val(0) }, a, true));
      return;
    }
    case "movsx": {
      const s = readPair(ctx, f.src);
      let lo: Src;
      if (f.fromBits === 32) lo = s.lo;
      else {
        const t = b.temp();
        b.shift(Op.SHL, t, s.lo, 32 - f.fromBits);
        const u = b.temp();
        b.shift(Op.ASR, u, reg(t), 32 - f.fromBits);
        lo = reg(u);
      }
      if (f.width === 32) {
        writePair(ctx, d, { lo, hi: val(0) });
        return;
      }
      const hi = b.temp();
      b.shift(Op.ASR, hi, lo, 31);
      writePair(ctx, d, { lo, hi: reg(hi) });
      return;
    }
    case "endian": {
      const a = readPair(ctx, d);
      if (f.op === "le") {
        if (f.bits === 64) return;
        if (f.bits === 32) {
          writePair(ctx, d, { lo: a.lo, hi: val(0) });
          return;
        }
        const t = b.temp();
        b.shift(Op.SHL, t, a.lo, 16);
        const u = b.temp();
        b.shift(Op.SHR, u, reg(t), 16);
        writePair(ctx, d, { lo: reg(u), hi: val(0) });
        return;
      }
      if (f.bits === 16) writePair(ctx, d, { lo: bswap16(b, a.lo), hi: val(0) });
      else if (f.bits === 32) writePair(ctx, d, { lo: bswap32(b, a.lo), hi: val(0) });
      else {
        const lo = bswap32(b, a.hi);
        const hi = bswap32(b, a.lo);
        writePair(ctx, d, { lo, hi });
      }
      return;
    }
    case "alu":
      lowerAlu(ctx, f, irBlock);
      return;
  }
}

function lowerAlu(ctx: LowerCtx, f: AluInstruction, irBlock: number): void {
  const b = ctx.b;
  const d = f.dst;
  const s = srcPair(ctx, f);
  if (f.op === "mov") {
    const swapped = activeMutant() === "mov64-swaps-words" && f.width === 64 && f.source === "reg" && ctx.before.regs[f.src].k === "scalar";
    writePair(ctx, d, f.width === 64 ? (swapped ? { lo: s.hi, hi: s.lo } : s) : { lo: s.lo, hi: val(0) });
    return;
  }
  const a = readPair(ctx, d);
  if (f.width === 32) {
    let lo: Src;
    switch (f.op) {
      case "add":
      case "sub": {
        const t = b.temp();
        b.alu(f.op === "add" ? Op.ADD : Op.SUB, t, a.lo, s.lo);
        lo = reg(t);
        break;
      }
      case "and":
        lo = logic32(b, Op.AND, a.lo, s.lo);
        break;
      case "or":
        lo = logic32(b, Op.OR, a.lo, s.lo);
        break;
      case "xor":
        lo = logic32(b, Op.XOR, a.lo, s.lo);
        break;
      case "lsh":
      case "rsh":
      case "arsh":
        lo = shift32(b, f.op, a.lo, s.lo);
        break;
      case "mul":
        lo = mul32(b, a.lo, s.lo, false).lo;
        break;
      case "div":
      case "mod":
      case "sdiv":
      case "smod":
        writePair(ctx, d, divide(ctx, f.op, 32, { lo: a.lo, hi: val(0) }, { lo: s.lo, hi: val(0) }, irBlock));
        return;
    }
    writePair(ctx, d, { lo, hi: val(0) });
    return;
  }
  let r: Pair;
  switch (f.op) {
    case "add":
    case "sub":
      r = addSub64(ctx, d, a, s, f.op === "sub");
      break;
    case "and":
    case "or":
    case "xor": {
      const code = f.op === "and" ? Op.AND : f.op === "or" ? Op.OR : Op.XOR;
      const lo = logic32(b, code, a.lo, s.lo);
      const known = resultHigh(ctx, d);
      r = { lo, hi: known !== undefined ? val(known) : logic32(b, code, a.hi, s.hi) };
      break;
    }
    case "lsh":
    case "rsh":
    case "arsh": {
      const k = constOf(s.lo);
      r = k !== undefined ? shiftImm64(b, f.op, a, k & 63) : shiftReg64(b, f.op, a, s.lo, irBlock);
      const known = resultHigh(ctx, d);
      if (known !== undefined) r = { lo: r.lo, hi: val(known) };
      break;
    }
    case "mul":
      r = lowerMul(ctx, d, a, s, 64);
      break;
    case "div":
    case "mod":
    case "sdiv":
    case "smod":
      r = divide(ctx, f.op, 64, a, s, irBlock);
      break;
  }
  writePair(ctx, d, r);
}

// ---- division: a restoring shift-subtract loop ----

// Unsigned division of the pair n by the pair dv (width 32: only lo words used).
// Returns quotient and remainder in fresh registers. dv must not be 0.
function unsignedDivide(b: MBuilder, width: 32 | 64, n: Pair, dv: Pair, irBlock: number): { q: Pair; r: Pair } {
  const ql = b.temp();
  const qh = b.temp();
  const rl = b.temp();
  const rh = b.temp();
  const dl = b.temp();
  const dh = b.temp();
  const cnt = b.temp();
  b.mov(ql, n.lo);
  b.mov(dl, dv.lo);
  b.materialize(0, rl);
  b.materialize(width, cnt);
  if (width === 64) {
    b.mov(qh, n.hi);
    b.mov(dh, dv.hi);
    b.materialize(0, rh);
  }
  const loop = b.newBlock(irBlock);
  b.markLoop(loop, width);
  const take = b.newBlock(irBlock);
  const next = b.newBlock(irBlock);
  const done = b.newBlock(irBlock);
  b.end({ kind: "goto", target: loop });
  b.enter(loop);
  const t1 = b.temp();
  const t2 = b.temp();
  if (width === 64) {
    // (rem:quo) <<= 1 over 128 bits.
    b.emit(Op.DBL_SHR, { d: rh, a: rh, b: rl, imm: 31 });
    b.emit(Op.DBL_SHR, { d: rl, a: rl, b: qh, imm: 31 });
    b.emit(Op.DBL_SHR, { d: qh, a: qh, b: ql, imm: 31 });
    b.emit(Op.SHL, { d: ql, a: ql, imm: 1 });
    b.emit(Op.SUB, { d: t1, a: rl, b: dl });
    b.emit(Op.SUBC, { d: t2, a: rh, b: dh });
  } else {
    b.emit(Op.DBL_SHR, { d: rl, a: rl, b: ql, imm: 31 });
    b.emit(Op.SHL, { d: ql, a: ql, imm: 1 });
    b.emit(Op.SUB, { d: t1, a: rl, b: dl });
  }
  // Borrow: the remainder is below the divisor, keep it.
  b.end({ kind: "branch", op: Op.BCS, target: next, fallthrough: take });
  b.enter(take);
  b.emit(Op.MOV, { d: rl, b: t1 });
  if (width === 64) b.emit(Op.MOV, { d: rh, b: t2 });
  b.emit(Op.OR, { d: ql, a: ql, b: IMM, imm: 1 });
  b.end({ kind: "goto", target: next });
  b.enter(next);
  b.emit(Op.SUB, { d: cnt, a: cnt, b: IMM, imm: 1 });
  b.end({ kind: "branch", op: Op.BNE, target: loop, fallthrough: done });
  b.enter(done);
  return width === 64 ? { q: { lo: reg(ql), hi: reg(qh) }, r: { lo: reg(rl), hi: reg(rh) } } : { q: { lo: reg(ql), hi: val(0) }, r: { lo: reg(rl), hi: val(0) } };
}

// Two's-complement negation of a pair into fresh registers.
function negate(b: MBuilder, width: 32 | 64, x: Pair): Pair {
  const lo = b.temp();
  if (width === 32) {
    b.alu(Op.SUB, lo, val(0), x.lo);
    return { lo: reg(lo), hi: val(0) };
  }
  const hi = b.temp();
  const pl = b.prepare(val(0), x.lo);
  const ph = b.prepare(val(0), x.hi);
  b.aluPrepared(Op.SUB, lo, pl);
  b.aluPrepared(Op.SUBC, hi, ph);
  return { lo: reg(lo), hi: reg(hi) };
}

// |x| into fresh registers, and the register holding the sign word (x >> 31 of the top word).
function absolute(b: MBuilder, width: 32 | 64, x: Pair, irBlock: number): Pair {
  const out = { lo: b.temp(), hi: b.temp() };
  const top = b.inReg(width === 64 ? x.hi : x.lo);
  const neg = b.newBlock(irBlock);
  const pos = b.newBlock(irBlock);
  const join = b.newBlock(irBlock);
  b.end({ kind: "bitbranch", op: Op.BR_BSET, reg: top, bit: 31, target: neg, fallthrough: pos });
  b.enter(neg);
  const n = negate(b, width, x);
  b.mov(out.lo, n.lo);
  b.mov(out.hi, n.hi);
  b.end({ kind: "goto", target: join });
  b.enter(pos);
  b.mov(out.lo, x.lo);
  b.mov(out.hi, width === 64 ? x.hi : val(0));
  b.end({ kind: "goto", target: join });
  b.enter(join);
  return { lo: reg(out.lo), hi: width === 64 ? reg(out.hi) : val(0) };
}

function divide(ctx: LowerCtx, op: "div" | "mod" | "sdiv" | "smod", width: 32 | 64, n: Pair, dv: Pair, irBlock: number): Pair {
  const b = ctx.b;
  const outLo = b.temp();
  const outHi = b.temp();
  const zero = b.newBlock(irBlock);
  const work = b.newBlock(irBlock);
  const join = b.newBlock(irBlock);
  // Divisor zero: div gives 0, mod leaves the dividend (32-bit: its low word).
  const dl = b.inReg(dv.lo);
  if (width === 64) {
    const dh = b.inReg(dv.hi);
    b.emit(Op.OR, { d: NONE, a: dl, b: dh });
  } else b.emit(Op.MOV, { d: NONE, b: dl });
  b.end({ kind: "branch", op: Op.BEQ, target: zero, fallthrough: work });
  b.enter(zero);
  if (op === "div" || op === "sdiv") {
    b.materialize(0, outLo);
    b.materialize(0, outHi);
  } else {
    b.mov(outLo, n.lo);
    b.mov(outHi, width === 64 ? n.hi : val(0));
  }
  b.end({ kind: "goto", target: join });
  b.enter(work);
  const signed = op === "sdiv" || op === "smod";
  const un = signed ? absolute(b, width, n, irBlock) : n;
  const ud = signed ? absolute(b, width, dv, irBlock) : dv;
  const { q, r } = unsignedDivide(b, width, un, { lo: reg(b.inReg(ud.lo)), hi: width === 64 ? reg(b.inReg(ud.hi)) : val(0) }, irBlock);
  const result = op === "div" || op === "sdiv" ? q : r;
  if (!signed) {
    b.mov(outLo, result.lo);
    b.mov(outHi, result.hi);
    b.end({ kind: "goto", target: join });
  } else {
    // Quotient negative when the signs differ; remainder takes the dividend's sign.
    const top = (p: Pair): number => b.inReg(width === 64 ? p.hi : p.lo);
    const sign = b.temp();
    if (op === "sdiv") b.emit(Op.XOR, { d: sign, a: top(n), b: top(dv) });
    else b.emit(Op.MOV, { d: sign, b: top(n) });
    const neg = b.newBlock(irBlock);
    const pos = b.newBlock(irBlock);
    b.end({ kind: "bitbranch", op: Op.BR_BSET, reg: sign, bit: 31, target: neg, fallthrough: pos });
    b.enter(neg);
    const m = negate(b, width, result);
    b.mov(outLo, m.lo);
    b.mov(outHi, m.hi);
    b.end({ kind: "goto", target: join });
    b.enter(pos);
    b.mov(outLo, result.lo);
    b.mov(outHi, result.hi);
    b.end({ kind: "goto", target: join });
  }
  b.enter(join);
  return { lo: reg(outLo), hi: reg(outHi) };
}

export { hiOf, loOf };
