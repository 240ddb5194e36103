// Microcode over virtual registers: what lowering produces and the register
// allocator consumes. Instructions are the hw-model's MicroInsn rows, except
// that register fields may hold virtual registers (numbers >= VBASE) and
// branch targets live in the block terminators. Each eBPF 64-bit register v
// is the pair (loOf(v), hiOf(v)) of 32-bit virtual registers.
import { Op, opInfo, ALU_IMM_MAX } from "../../hw-model/isa/opcode.ts";
import { IMM, NONE } from "../../hw-model/isa/register.ts";
import { mk, type MicroInsn } from "../../hw-model/isa/instruction.ts";
import type { Origin, VReg } from "./ir.ts";

export const VBASE = 1000;
export const loOf = (v: VReg): number => VBASE + 2 * v;
export const hiOf = (v: VReg): number => VBASE + 2 * v + 1;
export const isVirtual = (r: number): boolean => r >= VBASE;

// What a memory command reaches, for the cost model.
// What a memory command reaches: the packet, a map's value, or the thread's scratch window (stack bytes moved out of local memory).
export type MemTarget = { readonly kind: "packet" } | { readonly kind: "map"; readonly map: number } | { readonly kind: "scratch" };

export interface MInsn extends MicroInsn {
  // The eBPF instruction this microcode implements (for --explain and fault reports).
  readonly origin?: Origin;
  readonly memTarget?: MemTarget;
}

export type MTerm =
  | { readonly kind: "goto"; readonly target: number }
  // Conditional on the flags of the block's last flag-setting instruction.
  | { readonly kind: "branch"; readonly op: number; readonly target: number; readonly fallthrough: number }
  | { readonly kind: "bitbranch"; readonly op: number; readonly reg: number; readonly bit: number; readonly target: number; readonly fallthrough: number }
  // The XDP action in register `reg`, or the constant `action` when reg is -1.
  | { readonly kind: "verdict"; readonly reg: number; readonly action?: number }
  // The packet continues on the host: cut `cut` of the image (its state map says where each eBPF register is).
  | { readonly kind: "toHost"; readonly cut: number; readonly uses: readonly number[] }
  // The packet continues in stage `stage` at micro block `entry`; resumeReg carries which entry when the stage has several.
  | { readonly kind: "handover"; readonly stage: number; readonly entry: number; readonly edge: number };

export interface MBlock {
  readonly id: number;
  insns: MInsn[];
  term: MTerm;
  // The IR block this code was lowered from (-1 for stage glue).
  readonly irBlock: number;
  // Iterations per entry when this block heads a loop the compiler made (division).
  tripCount?: number;
}

export function mtermSuccessors(t: MTerm): number[] {
  switch (t.kind) {
    case "goto":
      return [t.target];
    case "branch":
    case "bitbranch":
      return t.target === t.fallthrough ? [t.target] : [t.target, t.fallthrough];
    case "handover":
      return [t.entry];
    case "verdict":
    case "toHost":
      return [];
  }
}

export function mtermUses(t: MTerm): number[] {
  switch (t.kind) {
    case "bitbranch":
      return [t.reg];
    case "verdict":
      return t.reg >= 0 ? [t.reg] : [];
    case "toHost":
      return [...t.uses];
    default:
      return [];
  }
}

// Registers an instruction reads (IMM and NONE left out). ld_field and immed_w1 also read their destination.
export function minsnUses(i: MicroInsn): number[] {
  const info = opInfo[i.op];
  const regs: number[] = [];
  const add = (r: number): void => {
    if (r !== IMM && r !== NONE) regs.push(r);
  };
  switch (info.format) {
    case "alu3":
      add(i.a);
      add(i.b);
      break;
    case "alu1":
      add(i.b);
      break;
    case "shift":
      add(i.a);
      add(i.b);
      break;
    case "dblshift":
      add(i.a);
      add(i.b);
      add(i.c);
      break;
    case "byteext":
      add(i.a);
      break;
    case "ldfield":
      add(i.d);
      add(i.b);
      break;
    case "mulstart":
      add(i.a);
      add(i.b);
      break;
    case "immed":
      if (i.op === Op.IMMED_W1) add(i.d);
      break;
    case "lmbase":
      add(i.a);
      break;
    case "lmstore":
      add(i.a);
      break;
    case "mem":
      add(i.a);
      if (i.op !== Op.MEM_RD) {
        const words = i.c < 4 ? 1 : i.c >> 2;
        for (let w = 0; w < words; w++) add(i.d + w);
      }
      break;
    case "fwcall":
      add(i.a);
      add(i.b);
      add(i.c);
      add(i.x);
      break;
    case "jumpreg":
    case "bitbranch":
      add(i.a);
      break;
    case "verdict":
      if (i.n === -1) add(i.a);
      break;
    default:
      break;
  }
  return regs;
}

export function minsnDefs(i: MicroInsn): number[] {
  const info = opInfo[i.op];
  switch (info.format) {
    case "alu3":
    case "alu1":
    case "shift":
    case "dblshift":
    case "byteext":
    case "ldfield":
    case "dest":
    case "immed":
    case "lmload":
    case "fwcall":
    case "csr":
    case "link":
      return i.d === NONE ? [] : [i.d];
    case "mem": {
      if (i.op === Op.MEM_WR || i.op === Op.MEM_ADD) return [];
      const words = i.op === Op.MEM_RD ? (i.c < 4 ? 1 : i.c >> 2) : i.c >> 2;
      return Array.from({ length: words }, (_, w) => i.d + w);
    }
    default:
      return [];
  }
}

// Instructions that leave the Z/N/C/V flags as they were.
const flagNeutral = new Set<number>([
  Op.NOP, Op.IMMED, Op.IMMED_W1, Op.LD_FIELD, Op.LM_BASE, Op.LM_LD, Op.LM_ST, Op.MEM_RD, Op.MEM_WR, Op.MEM_ADD, Op.MEM_TADD, Op.MEM_TAS,
  Op.CTX_ARB, Op.CSR_RD, Op.FWCALL, Op.MUL_START, Op.MUL_STEP, Op.MUL_LO, Op.MUL_HI,
]);
export const setsFlags = (op: number): boolean => !flagNeutral.has(op);
export const readsFlags = (op: number): boolean => op === Op.ADDC || op === Op.SUBC;

// Side effects beyond the destination: never removed even when the result is unused.
export function hasSideEffects(i: MicroInsn): boolean {
  switch (i.op) {
    case Op.MEM_RD:
    case Op.MEM_WR:
    case Op.MEM_ADD:
    case Op.MEM_TADD:
    case Op.MEM_TAS:
    case Op.CTX_ARB:
    case Op.FWCALL:
    case Op.LM_ST:
    case Op.LM_BASE:
    case Op.MUL_START:
    case Op.MUL_STEP:
      return true;
    default:
      return false;
  }
}

// An operand of an ALU instruction: a register, or a constant that the builder
// turns into an 8-bit immediate or a register holding it.
export type Src = { readonly reg: number } | { readonly value: number };
export const reg = (r: number): Src => ({ reg: r });
export const val = (v: number): Src => ({ value: v >>> 0 });
export const isConst = (s: Src): s is { readonly value: number } => "value" in s;
export const constOf = (s: Src): number | undefined => ("value" in s ? s.value : undefined);

export class MBuilder {
  readonly blocks: MBlock[] = [];
  private current: MBlock | undefined;
  private nextVreg: number;
  origin: Origin | undefined;

  constructor(firstTemp: number) {
    this.nextVreg = firstTemp;
  }

  temp(): number {
    return this.nextVreg++;
  }

  get tempCount(): number {
    return this.nextVreg;
  }

  // Creates an empty block (to be filled later with `enter`).
  newBlock(irBlock: number): number {
    const id = this.blocks.length;
    this.blocks.push({ id, insns: [], term: { kind: "goto", target: id }, irBlock });
    return id;
  }

  enter(id: number): void {
    this.current = this.blocks[id];
    this.constants.clear();
  }

  // Constants already in a register in the current block (registers materialize made, never written again).
  private readonly constants = new Map<number, number>();

  get currentId(): number {
    return this.current!.id;
  }

  end(term: MTerm): void {
    this.current!.term = term;
    this.current = undefined;
    this.constants.clear();
  }

  emit(op: number, fields: Partial<Omit<MicroInsn, "op">>, memTarget?: MemTarget): void {
    const insn: MInsn = { ...mk(op, fields), ...(this.origin ? { origin: this.origin } : {}), ...(memTarget ? { memTarget } : {}) };
    this.current!.insns.push(insn);
  }

  markLoop(block: number, tripCount: number): void {
    this.blocks[block].tripCount = tripCount;
  }

  // A constant in a register.
  materialize(value: number, into?: number): number {
    const v = value >>> 0;
    if (into === undefined) {
      const known = this.constants.get(v);
      if (known !== undefined) return known;
    }
    const d = into ?? this.temp();
    if (into === undefined) this.constants.set(v, d);
    if (v <= 0xffff) this.emit(Op.IMMED, { d, imm: v });
    else if ((v & 0xff) === 0 && v >>> 8 <= 0xffff) this.emit(Op.IMMED, { d, imm: v >>> 8, n: 8 });
    else if ((v & 0xffff) === 0) this.emit(Op.IMMED, { d, imm: v >>> 16, n: 16 });
    else if ((~v >>> 0) <= ALU_IMM_MAX) this.emit(Op.NOT, { d, b: IMM, imm: ~v >>> 0 });
    else {
      this.emit(Op.IMMED, { d, imm: v & 0xffff });
      this.emit(Op.IMMED_W1, { d, imm: v >>> 16 });
    }
    return d;
  }

  // A register holding the operand.
  inReg(s: Src): number {
    return isConst(s) ? this.materialize(s.value) : s.reg;
  }

  // An operand usable as an ALU source: an 8-bit immediate or a register.
  private aluSrc(s: Src): { r: number; imm: number } {
    if (isConst(s) && s.value <= ALU_IMM_MAX) return { r: IMM, imm: s.value };
    return { r: this.inReg(s), imm: 0 };
  }

  // Both sources of an alu3 op, at most one of them an immediate.
  prepare(a: Src, b: Src): { a: number; b: number; imm: number } {
    if (isConst(a) && isConst(b)) {
      const ra = this.materialize(a.value);
      const sb = this.aluSrc(b);
      return { a: ra, b: sb.r, imm: sb.imm };
    }
    const sa = this.aluSrc(a);
    const sb = this.aluSrc(b);
    return { a: sa.r, b: sb.r, imm: sa.r === IMM ? sa.imm : sb.imm };
  }

  alu(op: number, d: number, a: Src, b: Src): void {
    const p = this.prepare(a, b);
    this.emit(op, { d, a: p.a, b: p.b, imm: p.imm });
  }

  // Emits op with operands already prepared (used inside carry chains).
  aluPrepared(op: number, d: number, p: { a: number; b: number; imm: number }): void {
    this.emit(op, { d, a: p.a, b: p.b, imm: p.imm });
  }

  mov(d: number, s: Src): void {
    if (isConst(s)) {
      this.materialize(s.value, d);
      return;
    }
    if (s.reg !== d) this.emit(Op.MOV, { d, b: s.reg });
  }

  shift(op: number, d: number, a: Src, amount: number | Src): void {
    const ra = this.inReg(a);
    if (typeof amount === "number") this.emit(op, { d, a: ra, imm: amount & 31 });
    else this.emit(op, { d, a: ra, b: this.inReg(amount) });
  }

  dblShr(d: number, hi: Src, lo: Src, amount: number | Src): void {
    const a = this.inReg(hi);
    const b = this.inReg(lo);
    if (typeof amount === "number") this.emit(Op.DBL_SHR, { d, a, b, imm: amount & 31 });
    else this.emit(Op.DBL_SHR, { d, a, b, c: this.inReg(amount) });
  }
}
