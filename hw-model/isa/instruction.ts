// A decoded microengine instruction and a program of them. The instruction is a
// row of small integers whose meaning the opcode's format gives (opcode.ts); a
// program keeps the rows both as readonly records (for tools) and packed into
// one Int32Array with a fixed stride (for the executor's hot loop).
import { Flag, Op, opInfo, ALU_IMM_MAX, IMMED_MAX, MEM_MAX_BYTES, LM_OFFSET_MIN, LM_OFFSET_MAX, MEM_OFFSET_MIN, MEM_OFFSET_MAX, OP_COUNT } from "./opcode.ts";
import { IMM, NONE, X0, XFER_REGS, LM_INDEX_REGS, SIGNALS, bankOf, isRegister, registerName, isGpr } from "./register.ts";
import { fwRoutines } from "./fwcall.ts";
import { csrNames } from "./csr.ts";
import { verdictNames } from "./verdict.ts";

export interface MicroInsn {
  readonly op: number;
  readonly d: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly imm: number;
  readonly n: number;
  readonly x: number;
  readonly flags: number;
}

export const insnDefaults: MicroInsn = { op: Op.NOP, d: NONE, a: NONE, b: NONE, c: NONE, imm: 0, n: 0, x: 0, flags: 0 };

export const mk = (op: number, fields: Partial<Omit<MicroInsn, "op">> = {}): MicroInsn => ({ ...insnDefaults, ...fields, op });

// Field positions in the packed code array.
export const F_OP = 0;
export const F_D = 1;
export const F_A = 2;
export const F_B = 3;
export const F_C = 4;
export const F_IMM = 5;
export const F_N = 6;
export const F_X = 7;
export const F_FLAGS = 8;
export const STRIDE = 9;

export interface Microprogram {
  readonly insns: readonly MicroInsn[];
  // insns packed with STRIDE fields each, in F_* order.
  readonly code: Int32Array;
  // Label name -> pc, as the assembler saw them (empty for programs built in code).
  readonly labels: ReadonlyMap<string, number>;
}

export function pack(insns: readonly MicroInsn[]): Int32Array {
  const code = new Int32Array(insns.length * STRIDE);
  insns.forEach((i, pc) => {
    const at = pc * STRIDE;
    code[at + F_OP] = i.op;
    code[at + F_D] = i.d;
    code[at + F_A] = i.a;
    code[at + F_B] = i.b;
    code[at + F_C] = i.c;
    code[at + F_IMM] = i.imm;
    code[at + F_N] = i.n;
    code[at + F_X] = i.x;
    code[at + F_FLAGS] = i.flags;
  });
  return code;
}

// A program from instructions built in code; throws InsnError naming the pc of the first invalid one.
export function microprogram(insns: readonly MicroInsn[], labels: ReadonlyMap<string, number> = new Map()): Microprogram {
  insns.forEach((insn, pc) => {
    const problem = validateInsn(insn, insns.length);
    if (problem) throw new InsnError(`instruction ${pc}: ${problem}.`, pc);
  });
  return { insns, code: pack(insns), labels };
}

export class InsnError extends Error {
  constructor(
    message: string,
    readonly pc: number,
  ) {
    super(message);
  }
}

const isXfer = (r: number): boolean => r >= X0 && r < X0 + XFER_REGS;
const isSource = (r: number): boolean => isRegister(r) || r === IMM;
const inRange = (v: number, lo: number, hi: number): boolean => Number.isInteger(v) && v >= lo && v <= hi;

// The rule of the NFP datapath: an instruction reads at most one general register of each bank.
function bankConflict(a: number, b: number): string | undefined {
  if (!isGpr(a) || !isGpr(b)) return undefined;
  const bank = bankOf(a);
  if (bank === bankOf(b)) return `${registerName(a)} and ${registerName(b)} are both in bank ${bank}; an instruction reads at most one register of each bank`;
  return undefined;
}

function destOk(d: number, allowNone: boolean): string | undefined {
  if (d === NONE && allowNone) return undefined;
  return isRegister(d) ? undefined : "the destination must be a register";
}

// Why the instruction is not valid, or undefined when it is. `length` bounds branch targets.
export function validateInsn(i: MicroInsn, length: number): string | undefined {
  if (!inRange(i.op, 0, OP_COUNT - 1)) return `opcode ${i.op} does not exist`;
  const info = opInfo[i.op];
  const target = (): string | undefined => (inRange(i.x, 0, length - 1) ? undefined : `branch target ${i.x} is outside the program (0..${length - 1})`);
  switch (info.format) {
    case "none":
      return undefined;
    case "alu3": {
      if (!isSource(i.a) || !isSource(i.b)) return "both sources must be registers or an immediate";
      if (i.a === IMM && i.b === IMM) return "at most one source may be an immediate";
      if ((i.a === IMM || i.b === IMM) && !inRange(i.imm, 0, ALU_IMM_MAX)) return `immediate ${i.imm} does not fit the 8-bit ALU immediate (0..${ALU_IMM_MAX})`;
      return destOk(i.d, true) ?? bankConflict(i.a, i.b);
    }
    case "alu1":
      if (!isSource(i.b)) return "the source must be a register or an immediate";
      if (i.b === IMM && !inRange(i.imm, 0, ALU_IMM_MAX)) return `immediate ${i.imm} does not fit the 8-bit ALU immediate (0..${ALU_IMM_MAX})`;
      return destOk(i.d, true);
    case "shift":
      if (!isRegister(i.a)) return "the shifted operand must be a register";
      if (i.b === NONE) return inRange(i.imm, 0, 31) ? destOk(i.d, true) : `shift amount ${i.imm} is outside 0..31`;
      if (!isRegister(i.b)) return "the shift amount must be #0..31 or a register";
      return destOk(i.d, true) ?? bankConflict(i.a, i.b);
    case "dblshift":
      if (!isRegister(i.a) || !isRegister(i.b)) return "both words must be registers";
      if (i.c === NONE) {
        if (!inRange(i.imm, 0, 31)) return `shift amount ${i.imm} is outside 0..31`;
      } else if (!isRegister(i.c)) return "the shift amount must be #0..31 or a register";
      return destOk(i.d, false) ?? bankConflict(i.a, i.b);
    case "byteext":
      if (!isRegister(i.a)) return "the source must be a register";
      return inRange(i.imm, 0, 3) ? destOk(i.d, false) : `byte index ${i.imm} is outside 0..3`;
    case "ldfield":
      if (!isRegister(i.b)) return "the source must be a register";
      if (!inRange(i.n, 1, 15)) return `byte mask ${i.n} is outside 1..15`;
      if (!inRange(i.imm, 0, 31)) return `rotation ${i.imm} is outside 0..31`;
      return destOk(i.d, false);
    case "mulstart":
      if (!isRegister(i.a) || !isRegister(i.b)) return "both factors must be registers";
      return bankConflict(i.a, i.b);
    case "dest":
      return destOk(i.d, false);
    case "immed":
      if (!inRange(i.imm, 0, IMMED_MAX)) return `immediate ${i.imm} does not fit 16 bits (0..${IMMED_MAX})`;
      if (i.op === Op.IMMED_W1 ? i.n !== 0 : i.n !== 0 && i.n !== 8 && i.n !== 16) return `shift ${i.n} must be 0, 8 or 16`;
      return destOk(i.d, false);
    case "branch":
      return target();
    case "bitbranch":
      if (!isRegister(i.a)) return "the tested operand must be a register";
      return inRange(i.imm, 0, 31) ? target() : `bit ${i.imm} is outside 0..31`;
    case "link":
      return destOk(i.d, false) ?? target();
    case "jumpreg":
      return isRegister(i.a) ? undefined : "the return address must be in a register";
    case "lmbase":
      if (!inRange(i.n, 0, LM_INDEX_REGS - 1)) return `local-memory index register l${i.n} does not exist`;
      return isRegister(i.a) ? undefined : "the base must be a register";
    case "lmload":
    case "lmstore": {
      if (!inRange(i.n, 0, LM_INDEX_REGS - 1)) return `local-memory index register l${i.n} does not exist`;
      if (!inRange(i.imm, LM_OFFSET_MIN, LM_OFFSET_MAX)) return `offset ${i.imm} is outside ${LM_OFFSET_MIN}..${LM_OFFSET_MAX}`;
      if (i.c !== 1 && i.c !== 2 && i.c !== 4) return `width ${i.c} must be 1, 2 or 4`;
      return info.format === "lmload" ? destOk(i.d, false) : isRegister(i.a) ? undefined : "the stored value must be a register";
    }
    case "mem": {
      if (!isXfer(i.d)) return "the first operand must be a transfer register x0..x15";
      if (!isRegister(i.a)) return "the address must be in a register";
      if (!inRange(i.imm, MEM_OFFSET_MIN, MEM_OFFSET_MAX)) return `offset ${i.imm} is outside ${MEM_OFFSET_MIN}..${MEM_OFFSET_MAX}`;
      if (!inRange(i.x, 0, SIGNALS - 1)) return `signal s${i.x} does not exist`;
      if ((i.flags & ~(Flag.LE | Flag.SWAP)) !== 0) return `unknown flags ${i.flags}`;
      const bytes = i.c;
      if (i.op === Op.MEM_RD || i.op === Op.MEM_WR) {
        if (!(bytes === 1 || bytes === 2 || (bytes % 4 === 0 && inRange(bytes, 4, MEM_MAX_BYTES)))) return `size ${bytes} must be 1, 2 or a multiple of 4 up to ${MEM_MAX_BYTES}`;
      } else if (i.op === Op.MEM_TAS) {
        if (bytes !== 4) return "test-and-set works on 4 bytes";
      } else if (bytes !== 4 && bytes !== 8) return `atomic add works on 4 or 8 bytes, not ${bytes}`;
      const words = Math.max(1, bytes >> 2);
      if (i.d - X0 + words > XFER_REGS) return `${words} words from ${registerName(i.d)} run past x${XFER_REGS - 1}`;
      return undefined;
    }
    case "arb":
      return inRange(i.x, 1, (1 << SIGNALS) - 1) ? undefined : "ctx_arb needs at least one signal";
    case "fwcall": {
      const routine = fwRoutines[i.n];
      if (!routine) return `firmware routine ${i.n} does not exist`;
      const args = [i.a, i.b, i.c, i.x];
      for (let k = 0; k < 4; k++) {
        if (k < routine.args.length ? !isRegister(args[k]) : args[k] !== NONE) return `${routine.name} takes ${routine.args.length} register arguments (${routine.args.join(", ") || "none"})`;
      }
      if (routine.usesMap && !inRange(i.imm, 0, 0xffff)) return `map index ${i.imm} is invalid`;
      return destOk(i.d, false);
    }
    case "csr":
      return inRange(i.n, 0, csrNames.length - 1) ? destOk(i.d, false) : `status register ${i.n} does not exist`;
    case "handover":
    case "tohost":
      if (info.format === "handover" && !inRange(i.n, 0, 255)) return `ring ${i.n} is outside 0..255`;
      if (!inRange(i.x, 0, 0x7fffffff) || !inRange(i.c, 0, 0x7fffffff)) return "the local-memory range must be within 0..65535 and the scratch range within 0..32767";
      return undefined;
    case "verdict":
      if (i.n === -1) return isRegister(i.a) ? undefined : "the action must be a name or a register";
      return inRange(i.n, 0, verdictNames.length - 1) ? undefined : `action ${i.n} does not exist`;
  }
}
