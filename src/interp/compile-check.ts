// What the compiled tier decides about an instruction before it runs: how
// control leaves it, and whether executing it always ends in an
// "invalid-instruction" fault. The checks are the reference interpreter's
// (src/interp/run.ts), in the same order; such an instruction is then handed
// to the reference's execute(), which words the fault. The differential tests
// hold the two together.
import {
  AluOp,
  AtomicOp,
  Class,
  FRAME_POINTER,
  JmpOp,
  LDDW,
  Mode,
  PseudoCall,
  REG_COUNT,
  Size,
  Source,
  opClass,
  opCode,
  opMode,
  opSize,
  opSource,
  sizeBytes,
} from "../ebpf/opcode.ts";
import type { Insn, Program } from "../ebpf/instruction.ts";

export interface Flow {
  readonly slots: 1 | 2;
  // Execution may continue at pc + slots.
  readonly fallsThrough: boolean;
  // A jump's target (taken branch or goto), possibly outside the program.
  readonly target?: number;
  // The instruction ends its basic block (jumps, calls, exit, certain faults).
  readonly endsBlock: boolean;
  // Set when executing the instruction always faults as an invalid instruction.
  readonly invalid?: string;
}

interface RegisterUse {
  readonly writeDst?: boolean;
  readonly readDst?: boolean;
  readonly readSrc?: boolean;
}

// run.ts badRegisters: r0..r10 exist and r10 is read-only.
export function badRegisters(insn: Insn, use: RegisterUse): string | undefined {
  if (use.writeDst && insn.dst >= FRAME_POINTER) return insn.dst === FRAME_POINTER ? "r10 is read-only" : `there is no register r${insn.dst}`;
  if (use.readDst && insn.dst >= REG_COUNT) return `there is no register r${insn.dst}`;
  if (use.readSrc && insn.src >= REG_COUNT) return `there is no register r${insn.src}`;
  return undefined;
}

const next: Flow = { slots: 1, fallsThrough: true, endsBlock: false };
const afterCall: Flow = { slots: 1, fallsThrough: true, endsBlock: true };
const ends: Flow = { slots: 1, fallsThrough: false, endsBlock: true };
const refused = (why: string): Flow => ({ slots: 1, fallsThrough: false, endsBlock: true, invalid: why });

export function flowAt(program: Program, pc: number): Flow {
  const insn = program[pc];
  switch (opClass(insn.opcode)) {
    case Class.ALU:
    case Class.ALU64:
      return aluFlow(insn);
    case Class.JMP:
    case Class.JMP32:
      return jumpFlow(insn, pc);
    case Class.LD:
      return ldFlow(program, insn, pc);
    case Class.LDX: {
      const mode = opMode(insn.opcode);
      if (mode !== Mode.MEM && mode !== Mode.MEMSX) return refused("no such LDX mode");
      if (mode === Mode.MEMSX && opSize(insn.opcode) === Size.DW) return refused("sign-extending loads are 1, 2 or 4 bytes");
      const bad = badRegisters(insn, { writeDst: true, readSrc: true });
      return bad ? refused(bad) : next;
    }
    case Class.ST: {
      if (opMode(insn.opcode) !== Mode.MEM) return refused("no such ST mode");
      const bad = badRegisters(insn, { readDst: true });
      return bad ? refused(bad) : next;
    }
    case Class.STX:
      return stxFlow(insn);
  }
}

// The reference's aluStep checks, in its order; `aluDefined` stands for alu64/alu32 returning a result.
function aluFlow(insn: Insn): Flow {
  const is64 = opClass(insn.opcode) === Class.ALU64;
  const op = opCode(insn.opcode);
  const fromRegister = opSource(insn.opcode) === Source.X;
  if (op === AluOp.END) {
    const bad = badRegisters(insn, { writeDst: true });
    if (bad) return refused(bad);
    const widthOk = insn.imm === 16 || insn.imm === 32 || insn.imm === 64;
    if (!widthOk || (is64 && fromRegister)) return refused(`no byte-order operation of width ${insn.imm}`);
    return next;
  }
  const bad = badRegisters(insn, { writeDst: true, readSrc: fromRegister });
  if (bad) return refused(bad);
  if (op === AluOp.NEG && fromRegister) return refused("neg takes no source register");
  if (op === AluOp.MOV && insn.off !== 0 && !fromRegister) return refused("movsx needs a source register");
  if (insn.off !== 0 && op !== AluOp.DIV && op !== AluOp.MOD && op !== AluOp.MOV) {
    return refused(`offset ${insn.off} is reserved for this operation`);
  }
  if (!aluDefined(op, is64, insn.off)) return refused(`no ${is64 ? "64" : "32"}-bit ALU operation 0x${op.toString(16)} with offset ${insn.off}`);
  return next;
}

function aluDefined(op: number, is64: boolean, off: number): boolean {
  switch (op) {
    case AluOp.ADD:
    case AluOp.SUB:
    case AluOp.MUL:
    case AluOp.OR:
    case AluOp.AND:
    case AluOp.XOR:
    case AluOp.LSH:
    case AluOp.RSH:
    case AluOp.ARSH:
    case AluOp.NEG:
      return true;
    case AluOp.DIV:
    case AluOp.MOD:
      return off === 0 || off === 1;
    case AluOp.MOV:
      return off === 0 || off === 8 || off === 16 || (is64 && off === 32);
    default:
      return false;
  }
}

const CONDITIONS: ReadonlySet<number> = new Set([
  JmpOp.JEQ,
  JmpOp.JNE,
  JmpOp.JGT,
  JmpOp.JGE,
  JmpOp.JLT,
  JmpOp.JLE,
  JmpOp.JSET,
  JmpOp.JSGT,
  JmpOp.JSGE,
  JmpOp.JSLT,
  JmpOp.JSLE,
]);

function jumpFlow(insn: Insn, pc: number): Flow {
  const is32 = opClass(insn.opcode) === Class.JMP32;
  const op = opCode(insn.opcode);
  switch (op) {
    case JmpOp.JA:
      return { slots: 1, fallsThrough: false, endsBlock: true, target: pc + 1 + (is32 ? insn.imm : insn.off) };
    case JmpOp.CALL:
      if (is32) return refused("call exists only in class JMP");
      if (opSource(insn.opcode) === Source.X) {
        const bad = badRegisters(insn, { readDst: true });
        return bad ? refused(bad) : afterCall;
      }
      if (insn.src === PseudoCall.HELPER || insn.src === PseudoCall.LOCAL || insn.src === PseudoCall.KFUNC) return afterCall;
      return refused(`call with unknown source ${insn.src}`);
    case JmpOp.EXIT:
      return is32 ? refused("exit exists only in class JMP") : ends;
  }
  const bad = badRegisters(insn, { readDst: true, readSrc: opSource(insn.opcode) === Source.X });
  if (bad) return refused(bad);
  if (!CONDITIONS.has(op)) return refused(`no jump operation 0x${op.toString(16)}`);
  return { slots: 1, fallsThrough: true, endsBlock: true, target: pc + 1 + insn.off };
}

function ldFlow(program: Program, insn: Insn, pc: number): Flow {
  if (insn.opcode === LDDW) {
    const bad = badRegisters(insn, { writeDst: true });
    if (bad) return refused(bad);
    if (pc + 1 >= program.length || program[pc + 1].opcode !== 0) return refused("ld_imm64 without its second slot");
    return { slots: 2, fallsThrough: true, endsBlock: false };
  }
  const mode = opMode(insn.opcode);
  if ((mode === Mode.ABS || mode === Mode.IND) && opSize(insn.opcode) !== Size.DW) {
    const bad = badRegisters(insn, { readSrc: mode === Mode.IND });
    return bad ? refused(bad) : next;
  }
  return refused("no such load");
}

function stxFlow(insn: Insn): Flow {
  const mode = opMode(insn.opcode);
  if (mode === Mode.ATOMIC) {
    const size = sizeBytes[opSize(insn.opcode)];
    if (size !== 4 && size !== 8) return refused("atomic operations are 4 or 8 bytes wide");
    const fetches = (insn.imm & AtomicOp.FETCH) !== 0;
    const writesSrc = fetches && insn.imm !== AtomicOp.CMPXCHG;
    const bad = badRegisters(insn, { readDst: true, readSrc: true }) ?? (writesSrc && insn.src === FRAME_POINTER ? "r10 is read-only" : undefined);
    // An unknown atomic operation is refused only after its load (run.ts atomicStep): the emitter handles it.
    return bad ? refused(bad) : next;
  }
  if (mode !== Mode.MEM) return refused("no such STX mode");
  const bad = badRegisters(insn, { readDst: true, readSrc: true });
  return bad ? refused(bad) : next;
}
