// A ProgramSpec made into eBPF: the entry function, then one function per
// FunctionSpec, with the generated programs' maps. The layout is fixed so that
// every spec is verifier-accepted by construction:
//   r6 = ctx, r7 = data, r8 = data_end (checked to hold boundBytes bytes);
//   scalars live in r0..r5 and r9 (r9 is a loop's counter inside a loop);
//   after a helper or function call r0..r5 are given fresh constants, except
//   the register the step writes its result to;
//   stack: scratch slots at -8..-32, a map key at -40, a 24-byte value at
//   -64, and the observation area below it.
// At the end every scalar (and two scratch slots) is written to the
// `observe` array map, so a wrong value anywhere shows in the final maps,
// and the action is the low two bits of one of them.
import { AluOp, AtomicOp, CALL, Class, EndSource, FRAME_POINTER, JmpOp, LDDW, Mode, PseudoCall, PseudoLd, SIGNED_DIVMOD_OFF, Size, Source, type SizeCode } from "../ebpf/opcode.ts";
import { insn, type Insn, type Program } from "../ebpf/instruction.ts";
import type { FunctionSpan } from "../elf/index.ts";
import { HelperId } from "../helpers/prototypes.ts";
import { MapType, UpdateFlag, type MapDef } from "../maps/index.ts";
import { XdpAction, XdpMdOffset } from "../xdp/index.ts";
import type { BinOp, CondOp, Operand, ProgramSpec, Step, ValueOp, Width } from "./program-spec.ts";

// The generated programs' maps, by index: only kinds and sizes the NIC's firmware holds (preset offload.mapTypes, maxValueBytes).
export const OBSERVE_MAP = 0;
export const GENERATED_MAPS: readonly MapDef[] = [
  { name: "observe", type: MapType.ARRAY, keySize: 4, valueSize: 24, maxEntries: 3, flags: 0 },
  { name: "table", type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 8, flags: 0 },
  { name: "flows", type: MapType.HASH, keySize: 4, valueSize: 16, maxEntries: 8, flags: 0 },
  { name: "pairs", type: MapType.HASH, keySize: 8, valueSize: 8, maxEntries: 64, flags: 0 },
];
// Maps the steps use (observe is the epilogue's).
export const STEP_MAPS = [1, 2, 3];

export const MAIN_SCALARS = [0, 1, 2, 3, 4, 5, 9];
const INNER_SCALARS = [0, 1, 2, 3, 4, 5];
const CTX = 6;
const DATA = 7;
const DATA_END = 8;
const LOOP_COUNTER = 9;
export const SCRATCH_SLOTS = 4;
const KEY_OFF = -40;
const VALUE_OFF = -64;
// Observation: 9 slots of 8 bytes (7 scalars, 2 scratch slots), three 24-byte values.
const OBSERVE_OFF = -136;
const OBSERVE_VALUES = 3;
const OBSERVE_VALUE_BYTES = 24;

const sizeCode: Readonly<Record<Width, SizeCode>> = { 1: Size.B, 2: Size.H, 4: Size.W, 8: Size.DW };
const binOp: Readonly<Record<BinOp, { code: number; signed?: boolean }>> = {
  add: { code: AluOp.ADD }, sub: { code: AluOp.SUB }, mul: { code: AluOp.MUL }, div: { code: AluOp.DIV }, sdiv: { code: AluOp.DIV, signed: true },
  or: { code: AluOp.OR }, and: { code: AluOp.AND }, lsh: { code: AluOp.LSH }, rsh: { code: AluOp.RSH }, mod: { code: AluOp.MOD },
  smod: { code: AluOp.MOD, signed: true }, xor: { code: AluOp.XOR }, mov: { code: AluOp.MOV }, arsh: { code: AluOp.ARSH },
};
const condOp: Readonly<Record<CondOp, number>> = {
  jeq: JmpOp.JEQ, jne: JmpOp.JNE, jgt: JmpOp.JGT, jge: JmpOp.JGE, jlt: JmpOp.JLT, jle: JmpOp.JLE,
  jsgt: JmpOp.JSGT, jsge: JmpOp.JSGE, jslt: JmpOp.JSLT, jsle: JmpOp.JSLE, jset: JmpOp.JSET,
};
const atomicCode = { add: AtomicOp.ADD, or: AtomicOp.OR, and: AtomicOp.AND, xor: AtomicOp.XOR, xchg: AtomicOp.XCHG } as const;

export interface GeneratedProgram {
  readonly spec: ProgramSpec;
  readonly insns: Program;
  readonly functions: readonly FunctionSpan[];
  readonly mapDefs: readonly MapDef[];
}

const mov64Imm = (dst: number, imm: number): Insn => insn(Class.ALU64 | Source.K | AluOp.MOV, dst, 0, 0, imm | 0);
const mov64Reg = (dst: number, src: number): Insn => insn(Class.ALU64 | Source.X | AluOp.MOV, dst, src);
const addImm = (dst: number, imm: number): Insn => insn(Class.ALU64 | Source.K | AluOp.ADD, dst, 0, 0, imm);
const andImm = (dst: number, imm: number): Insn => insn(Class.ALU64 | Source.K | AluOp.AND, dst, 0, 0, imm);
const ldx = (size: Width, dst: number, src: number, off: number): Insn => insn(Class.LDX | Mode.MEM | sizeCode[size], dst, src, off);
const stx = (size: Width, dst: number, src: number, off: number): Insn => insn(Class.STX | Mode.MEM | sizeCode[size], dst, src, off);
const stImm = (size: Width, dst: number, off: number, imm: number): Insn => insn(Class.ST | Mode.MEM | sizeCode[size], dst, 0, off, imm);
const callHelper = (id: number): Insn => insn(CALL, 0, PseudoCall.HELPER, 0, id);
const exit = (): Insn => insn(Class.JMP | JmpOp.EXIT);
const ldMap = (dst: number, index: number): Insn[] => [insn(LDDW, dst, PseudoLd.MAP_IDX, 0, index), insn(0)];
const lddw = (dst: number, value: bigint): Insn[] => {
  const v = BigInt.asUintN(64, value);
  return [insn(LDDW, dst, PseudoLd.IMM64, 0, Number(BigInt.asIntN(32, v))), insn(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n)))];
};
const stackSlot = (slot: number): number => -8 * ((slot % SCRATCH_SLOTS) + 1);

// Compiles one function body; `fresh` gives the constants registers are reset to.
class Emitter {
  private counter = 0;
  // Functions a call was emitted for (the kernel refuses code no path reaches).
  readonly called = new Set<number>();
  constructor(
    private readonly functionCount: number,
    private readonly boundBytes: number,
  ) {}

  fresh(): number {
    this.counter = (this.counter + 1) >>> 0;
    return Math.imul(this.counter, 0x9e3779b1) | 0;
  }

  // Gives r0..r5 (except `keep`) fresh constants: what a call leaves is not readable.
  reset(keep: readonly number[]): Insn[] {
    return INNER_SCALARS.filter((r) => !keep.includes(r)).map((r) => mov64Imm(r, this.fresh()));
  }

  steps(steps: readonly Step[], scalars: readonly number[], inLoop: boolean, inFunction: boolean): Insn[] {
    return steps.flatMap((s) => this.step(s, scalars, inLoop, inFunction));
  }

  step(s: Step, scalars: readonly number[], inLoop: boolean, inFunction: boolean): Insn[] {
    const pick = (i: number): number => scalars[i % scalars.length];
    switch (s.k) {
      case "alu":
        return [alu(s.wide, s.op, pick(s.dst), "reg" in s.src ? { reg: pick(s.src.reg) } : s.src)];
      case "const64":
        return lddw(pick(s.dst), s.value);
      case "neg":
        return [insn((s.wide ? Class.ALU64 : Class.ALU) | AluOp.NEG, pick(s.dst))];
      case "endian":
        return [insn(Class.ALU | AluOp.END | (s.toBe ? EndSource.TO_BE : EndSource.TO_LE), pick(s.dst), 0, 0, s.bits)];
      case "spill":
        return [stx(8, FRAME_POINTER, pick(s.src), stackSlot(s.slot))];
      case "fill":
        return [ldx(8, pick(s.dst), FRAME_POINTER, stackSlot(s.slot))];
      case "skip": {
        const body = this.steps(s.body, scalars, inLoop, inFunction);
        const cls = s.wide ? Class.JMP : Class.JMP32;
        const a = pick(s.a);
        const jump = "reg" in s.b ? insn(cls | Source.X | condOp[s.cond], a, pick(s.b.reg), body.length) : insn(cls | Source.K | condOp[s.cond], a, 0, body.length, s.b.imm | 0);
        return [jump, ...body];
      }
      case "loop": {
        if (inLoop || inFunction) return [];
        const body = this.steps(s.body, INNER_SCALARS, true, inFunction);
        return [mov64Imm(LOOP_COUNTER, 0), ...body, addImm(LOOP_COUNTER, 1), insn(Class.JMP | Source.K | JmpOp.JLT, LOOP_COUNTER, 0, -(body.length + 2), s.count)];
      }
      case "random": {
        if (inFunction) return [];
        const dst = pick(s.dst);
        return [callHelper(HelperId.GET_PRANDOM_U32), ...(dst === 0 ? [] : [mov64Reg(dst, 0)]), ...this.reset([0, dst])];
      }
      case "call": {
        if (inFunction || this.functionCount === 0) return [];
        const dst = pick(s.dst);
        const args = [0, 1, 2].map((i) => pick(s.args[i] ?? i));
        // Through the stack, so an argument register is never overwritten before it is read.
        const moves = [...args.map((r, i) => stx(8, FRAME_POINTER, r, VALUE_OFF + 8 * i)), ...args.map((_, i) => ldx(8, i + 1, FRAME_POINTER, VALUE_OFF + 8 * i))];
        this.called.add(s.fn % this.functionCount);
        return [...moves, insn(CALL, 0, PseudoCall.LOCAL, 0, s.fn % this.functionCount), ...(dst === 0 ? [] : [mov64Reg(dst, 0)]), ...this.reset([0, dst])];
      }
      case "pktLoad":
      case "pktStore":
      case "varLoad":
      case "lookup":
      case "update":
      case "delete":
        if (inFunction) return [];
        return this.packetOrMapStep(s, scalars, pick);
    }
  }

  private packetOrMapStep(s: Step & { k: "pktLoad" | "pktStore" | "varLoad" | "lookup" | "update" | "delete" }, scalars: readonly number[], pick: (i: number) => number): Insn[] {
    switch (s.k) {
      case "pktLoad":
        return [ldx(s.size, pick(s.dst), DATA, this.packetOffset(s.off, s.size))];
      case "pktStore":
        return [stx(s.size, DATA, pick(s.src), this.packetOffset(s.off, s.size))];
      case "varLoad": {
        const targets = scalars.filter((r) => r === 0 || r > 3);
        const dst = targets[s.dst % targets.length];
        return [
          ldx(1, 1, DATA, s.lenOff % this.boundBytes),
          andImm(1, s.mask),
          mov64Reg(2, DATA),
          insn(Class.ALU64 | Source.X | AluOp.ADD, 2, 1),
          mov64Reg(3, 2),
          addImm(3, s.size),
          insn(Class.JMP | Source.X | JmpOp.JGT, 3, DATA_END, 1),
          ldx(s.size, dst, 2, 0),
          ...[1, 2, 3].map((r) => mov64Imm(r, this.fresh())),
        ];
      }
      case "lookup":
        return this.lookup(s, scalars, pick(s.key));
      case "update":
      case "delete": {
        const map = STEP_MAPS[s.map % STEP_MAPS.length];
        const def = GENERATED_MAPS[map];
        const dst = pick(s.dst);
        const code = [...storeKey(pick(s.key), s.mask, def.keySize)];
        if (s.k === "update") {
          const v = pick(s.value);
          for (let off = 0; off < def.valueSize; off += 8) code.push(stx(8, FRAME_POINTER, v, VALUE_OFF + off));
          code.push(...ldMap(1, map), mov64Reg(2, FRAME_POINTER), addImm(2, KEY_OFF), mov64Reg(3, FRAME_POINTER), addImm(3, VALUE_OFF), mov64Imm(4, s.flags % (UpdateFlag.EXIST + 1)), callHelper(HelperId.MAP_UPDATE_ELEM));
        } else {
          code.push(...ldMap(1, map), mov64Reg(2, FRAME_POINTER), addImm(2, KEY_OFF), callHelper(HelperId.MAP_DELETE_ELEM));
        }
        return [...code, ...(dst === 0 ? [] : [mov64Reg(dst, 0)]), ...this.reset([0, dst])];
      }
    }
  }

  // An access of `size` bytes at most `boundBytes` into the packet.
  private packetOffset(off: number, size: Width): number {
    return off % Math.max(1, this.boundBytes - size + 1);
  }

  private lookup(s: Step & { k: "lookup" }, scalars: readonly number[], keyReg: number): Insn[] {
    const map = STEP_MAPS[s.map % STEP_MAPS.length];
    const def = GENERATED_MAPS[map];
    const code: Insn[] = [...storeKey(keyReg, s.mask, def.keySize), ...ldMap(1, map), mov64Reg(2, FRAME_POINTER), addImm(2, KEY_OFF), callHelper(HelperId.MAP_LOOKUP_ELEM)];
    // Registers readable in the value ops: r9 (when it is a scalar here) and what the ops wrote.
    const targets = scalars.filter((r) => r !== 0);
    const written = new Set<number>();
    const readable = (r: number): boolean => written.has(r) || (r === LOOP_COUNTER && scalars.includes(LOOP_COUNTER));
    const ops: Insn[] = [];
    for (const op of s.ops) ops.push(...this.valueOp(op, def.valueSize, (i) => targets[i % targets.length], readable, written));
    const writtenList = [...written];
    const orElse = writtenList.map((r) => mov64Imm(r, this.fresh()));
    code.push(insn(Class.JMP | Source.K | JmpOp.JEQ, 0, 0, ops.length + 1, 0), ...ops, insn(Class.JMP | JmpOp.JA, 0, 0, orElse.length), ...orElse);
    code.push(mov64Imm(0, this.fresh()), ...this.reset([0, ...writtenList]));
    return code;
  }

  private valueOp(op: ValueOp, valueBytes: number, target: (i: number) => number, readable: (r: number) => boolean, written: Set<number>): Insn[] {
    const off = ((op.slot * op.size) % valueBytes) - (((op.slot * op.size) % valueBytes) % op.size);
    if (op.k === "read") {
      const dst = target(op.dst);
      written.add(dst);
      return [ldx(op.size, dst, 0, off)];
    }
    const src = target(op.src);
    const code: Insn[] = [];
    if (!readable(src)) {
      code.push(mov64Imm(src, this.fresh()));
      written.add(src);
    }
    const fetch = op.op === "xchg" || op.fetch ? AtomicOp.FETCH : 0;
    code.push(insn(Class.STX | Mode.ATOMIC | sizeCode[op.size], 0, src, off, atomicCode[op.op] | fetch));
    return code;
  }
}

// *(key) = (r & mask), as a u32 or u64 key at KEY_OFF (r1 is the temporary).
function storeKey(r: number, mask: number, keyBytes: number): Insn[] {
  return [mov64Reg(1, r), andImm(1, mask), stx(keyBytes === 8 ? 8 : 4, FRAME_POINTER, 1, KEY_OFF)];
}

function alu(wide: boolean, op: BinOp, dst: number, src: Operand): Insn {
  const cls = wide ? Class.ALU64 : Class.ALU;
  const { code, signed } = binOp[op];
  const off = signed ? SIGNED_DIVMOD_OFF : 0;
  if ("reg" in src) return insn(cls | Source.X | code, dst, src.reg, off);
  let imm = src.imm | 0;
  // The verifier refuses shifts by the width or more and division by a zero immediate.
  if (code === AluOp.LSH || code === AluOp.RSH || code === AluOp.ARSH) imm = (imm >>> 0) % (wide ? 64 : 32);
  if ((code === AluOp.DIV || code === AluOp.MOD) && imm === 0) imm = 1;
  return insn(cls | Source.K | code, dst, 0, off, imm);
}

// Spills every scalar and two scratch slots to the observation area and writes it to the observe map in three values.
function epilogue(spec: ProgramSpec): Insn[] {
  const code: Insn[] = MAIN_SCALARS.map((r, i) => stx(8, FRAME_POINTER, r, OBSERVE_OFF + 8 * i));
  for (let s = 0; s < 2; s++) code.push(ldx(8, 1, FRAME_POINTER, stackSlot(s)), stx(8, FRAME_POINTER, 1, OBSERVE_OFF + 8 * (MAIN_SCALARS.length + s)));
  for (let v = 0; v < OBSERVE_VALUES; v++) {
    code.push(
      stImm(4, FRAME_POINTER, KEY_OFF, v),
      ...ldMap(1, OBSERVE_MAP),
      mov64Reg(2, FRAME_POINTER),
      addImm(2, KEY_OFF),
      mov64Reg(3, FRAME_POINTER),
      addImm(3, OBSERVE_OFF + OBSERVE_VALUE_BYTES * v),
      mov64Imm(4, UpdateFlag.ANY),
      callHelper(HelperId.MAP_UPDATE_ELEM),
    );
  }
  const actionSlot = MAIN_SCALARS.indexOf(MAIN_SCALARS[spec.actionReg % MAIN_SCALARS.length]);
  // XDP_ABORTED..XDP_TX: the two low bits.
  code.push(ldx(8, 0, FRAME_POINTER, OBSERVE_OFF + 8 * actionSlot), andImm(0, XdpAction.TX), exit());
  return code;
}

export function compileProgram(spec: ProgramSpec): GeneratedProgram {
  const e = new Emitter(spec.functions.length, spec.boundBytes);
  const init = MAIN_SCALARS.flatMap((r, i) => {
    const v = spec.init[i % Math.max(1, spec.init.length)] ?? 0n;
    return BigInt.asIntN(32, v) === v ? [mov64Imm(r, Number(v))] : lddw(r, v);
  });
  const zeroSlots = Array.from({ length: SCRATCH_SLOTS }, (_, s) => stImm(8, FRAME_POINTER, stackSlot(s), 0));
  const body = [...init, ...zeroSlots, ...e.steps(spec.body, MAIN_SCALARS, false, false), ...epilogue(spec)];
  const shortExit = [mov64Imm(0, XdpAction.PASS), exit()];
  const main: Insn[] = [
    mov64Reg(CTX, 1),
    ldx(4, DATA, CTX, XdpMdOffset.DATA),
    ldx(4, DATA_END, CTX, XdpMdOffset.DATA_END),
    mov64Reg(1, DATA),
    addImm(1, spec.boundBytes),
    insn(Class.JMP | Source.X | JmpOp.JGT, 1, DATA_END, body.length),
    ...body,
    ...shortExit,
  ];
  const functions: FunctionSpan[] = [{ name: "generated_xdp", startPc: 0, slots: main.length }];
  const used = spec.functions.map((f, i) => ({ f, i })).filter(({ i }) => e.called.has(i));
  const bodies: Insn[][] = used.map(({ f }) => {
    const fe = new Emitter(0, spec.boundBytes);
    const prologue = [0, 4, 5].map((r) => mov64Imm(r, fe.fresh()));
    return [...prologue, ...zeroSlots, ...fe.steps(f.body, INNER_SCALARS, false, true), exit()];
  });
  const starts = new Map<number, number>();
  let at = main.length;
  for (const [n, b] of bodies.entries()) {
    starts.set(used[n].i, at);
    functions.push({ name: `fn${used[n].i}`, startPc: at, slots: b.length });
    at += b.length;
  }
  // A local call's imm is relative to the next instruction.
  const linked = main.map((ins, pc) => (ins.opcode === CALL && ins.src === PseudoCall.LOCAL ? { ...ins, imm: starts.get(ins.imm)! - (pc + 1) } : ins));
  return { spec, insns: [...linked, ...bodies.flat()], functions, mapDefs: GENERATED_MAPS };
}
