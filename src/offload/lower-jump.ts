// Lowering of conditional jumps. The microengine branches on the flags of the
// last ALU instruction: a 64-bit unsigned or signed order is sub on the low
// words then subc on the high words (C and N^V of the pair); equality XORs
// both words and ORs them; JSET ANDs both words. When both upper words are
// known zero only the low words are compared; JMP32 compares low words only.
import { Op } from "../../hw-model/isa/opcode.ts";
import { NONE } from "../../hw-model/isa/register.ts";
import type { JumpCondInstruction } from "../ebpf/index.ts";
import { immAsU64 } from "../interp/u64.ts";
import { constPair, readPair, type LowerCtx, type Pair } from "./lower-context.ts";
import { constOf, isConst, reg, val, type MBuilder, type MTerm, type Src } from "./micro-ir.ts";
import { activeMutant } from "./mutants.ts";

const sameConst = (x: Src, y: Src): boolean => isConst(x) && isConst(y) && x.value === y.value;

// Emits flag-setting code; returns the branch op that is taken when the condition holds.
function setFlags(b: MBuilder, op: JumpCondInstruction["op"], width: 32 | 64, a: Pair, s: Pair): number {
  const wide = width === 64 && !(sameConst(a.hi, s.hi) || (constOf(a.hi) === 0 && constOf(s.hi) === 0));
  const xorOf = (x: Src, y: Src): Src => {
    const cx = constOf(x);
    const cy = constOf(y);
    if (cx !== undefined && cy !== undefined) return val((cx ^ cy) >>> 0);
    if (cy === 0) return x;
    if (cx === 0) return y;
    const t = b.temp();
    b.alu(Op.XOR, t, x, y);
    return reg(t);
  };
  const test = (x: Src): void => {
    // Z from a register (mov sets Z and N).
    b.emit(Op.MOV, { d: NONE, b: b.inReg(x) });
  };
  // a - b over the pair (or the low words), flags of the whole.
  const compare = (x: Pair, y: Pair, pair: boolean): void => {
    const pl = b.prepare(x.lo, y.lo);
    if (!pair) {
      b.aluPrepared(Op.SUB, NONE, pl);
      return;
    }
    const ph = b.prepare(x.hi, y.hi);
    b.aluPrepared(Op.SUB, NONE, pl);
    b.aluPrepared(Op.SUBC, NONE, ph);
  };
  switch (op) {
    case "jeq":
    case "jne": {
      if (!wide) {
        compare(a, s, false);
        return op === "jeq" ? Op.BEQ : Op.BNE;
      }
      const lo = xorOf(a.lo, s.lo);
      const hi = xorOf(a.hi, s.hi);
      if (constOf(lo) === 0) test(hi);
      else if (constOf(hi) === 0) test(lo);
      else b.alu(Op.OR, NONE, lo, hi);
      return op === "jeq" ? Op.BEQ : Op.BNE;
    }
    case "jset": {
      const andOf = (x: Src, y: Src): Src => {
        const cx = constOf(x);
        const cy = constOf(y);
        if (cx !== undefined && cy !== undefined) return val((cx & cy) >>> 0);
        if (cx === 0 || cy === 0) return val(0);
        const t = b.temp();
        b.alu(Op.AND, t, x, y);
        return reg(t);
      };
      const lo = andOf(a.lo, s.lo);
      const hi = width === 64 ? andOf(a.hi, s.hi) : val(0);
      if (constOf(hi) === 0) {
        if (isConst(lo)) test(lo);
        else b.emit(Op.MOV, { d: NONE, b: (lo as { reg: number }).reg });
      } else if (constOf(lo) === 0) test(hi);
      else b.alu(Op.OR, NONE, lo, hi);
      return Op.BNE;
    }
    case "jgt":
    case "jle":
    case "jsgt":
    case "jsle": {
      // a > b  <=>  b < a
      const pair = width === 64 && (wide || op === "jsgt" || op === "jsle") && !(constOf(a.hi) === 0 && constOf(s.hi) === 0);
      if (pair) {
        compare(s, a, true);
        return op === "jgt" ? Op.BCS : op === "jle" ? Op.BCC : op === "jsgt" ? Op.BLT : Op.BGE;
      }
      compare(a, s, false);
      if (width === 64 && (op === "jsgt" || op === "jsle")) return op === "jsgt" ? Op.BHI : Op.BLS;
      return op === "jgt" ? Op.BHI : op === "jle" ? Op.BLS : op === "jsgt" ? Op.BGT : Op.BLE;
    }
    case "jge":
    case "jlt":
    case "jsge":
    case "jslt": {
      const pair = width === 64 && (wide || op === "jsge" || op === "jslt") && !(constOf(a.hi) === 0 && constOf(s.hi) === 0);
      compare(a, s, pair);
      if (pair) return op === "jge" ? Op.BCC : op === "jlt" ? Op.BCS : op === "jsge" ? Op.BGE : Op.BLT;
      if (width === 64) return op === "jge" || op === "jsge" ? Op.BCC : Op.BCS;
      return op === "jge" ? Op.BCC : op === "jlt" ? Op.BCS : op === "jsge" ? Op.BGE : Op.BLT;
    }
  }
}

// The terminator for `if cond goto taken else fallthrough`.
export function lowerBranch(ctx: LowerCtx, cond: JumpCondInstruction, taken: number, fallthrough: number): MTerm {
  const a = readPair(ctx, cond.dst);
  const s = cond.source === "reg" ? readPair(ctx, cond.src) : constPair(immAsU64(cond.imm));
  const op = setFlags(ctx.b, cond.op, cond.width, a, s);
  const packetBound = cond.op === "jgt" && cond.source === "reg" && ctx.before.regs[cond.dst]?.k === "packet" && ctx.before.regs[cond.src]?.k === "packet";
  if (activeMutant() === "packet-bound-off-by-one" && packetBound && op === Op.BHI) return { kind: "branch", op: Op.BCC, target: taken, fallthrough };
  return { kind: "branch", op, target: taken, fallthrough };
}
