// JavaScript source for one compiled function: the blocks reachable from an
// entry pc, each a straight-line body, linked by a dispatch loop
// (`for (;;) switch (b)`). Registers are locals h0..h10 / l0..l10, the high
// and low int32 halves of r0..r10 (compile-u64.ts). Instruction counts are
// added once per block; a block that would cross the budget hands over to
// the stepwise version of the same code, which stops at the exact
// instruction. Faults inside a block report the count up to and including
// the faulting instruction, as the reference does.
import {
  AluOp,
  AtomicOp,
  Class,
  EndSource,
  FRAME_POINTER,
  JmpOp,
  LDDW,
  Mode,
  PseudoCall,
  PseudoLd,
  Source,
  opClass,
  opCode,
  opMode,
  opSize,
  opSource,
  sizeBytes,
} from "../ebpf/opcode.ts";
import type { Insn, Program } from "../ebpf/instruction.ts";
import { mapHandleAddress } from "../helpers/map-handles.ts";
import { findBlocks, type Block } from "./compile-blocks.ts";
import { NO_PROOFS, type AccessProofs } from "./compile-facts.ts";
import { CACHE_BITS, HASH_MULTIPLIER, REFUSED, WIDE } from "./compile-memory.ts";
import { CALL_KEPT_R0, CALL_SET_R0, CONTINUED, ENDED, RETURNED, VALUE_NONE, VALUE_STABLE, pcOutOfRangeFault } from "./compile-runtime.ts";
import type { Fault } from "./fault.ts";
import { STACK_BYTES } from "./machine.ts";
import { Segment, segmentBase } from "./memory.ts";

const TWO_32 = 4294967296;

// The atomic operations RFC 9669 §5.3 defines (xchg and cmpxchg exist only as fetching forms).
const ATOMIC_OPS: ReadonlySet<number> = new Set([
  AtomicOp.ADD,
  AtomicOp.OR,
  AtomicOp.AND,
  AtomicOp.XOR,
  AtomicOp.ADD | AtomicOp.FETCH,
  AtomicOp.OR | AtomicOp.FETCH,
  AtomicOp.AND | AtomicOp.FETCH,
  AtomicOp.XOR | AtomicOp.FETCH,
  AtomicOp.XCHG,
  AtomicOp.CMPXCHG,
]);

// A 64-bit operand as two JavaScript expressions; `constant` when both halves are literals.
interface Operand {
  readonly hi: string;
  readonly lo: string;
  readonly constant?: { readonly hi: number; readonly lo: number };
}

const reg = (r: number): Operand => ({ hi: `h${r}`, lo: `l${r}` });
const constantOf = (hi: number, lo: number): Operand => ({ hi: String(hi | 0), lo: String(lo | 0), constant: { hi: hi | 0, lo: lo | 0 } });
// An instruction's imm as a 64-bit operand: sign-extended (RFC 9669 §3.3).
const immediate = (imm: number): Operand => constantOf(imm < 0 ? -1 : 0, imm);
const fromBig = (value: bigint): Operand => constantOf(Number(value >> 32n), Number(value & 0xffff_ffffn));
const unsigned = (lo: Operand): string => (lo.constant ? String(lo.constant.lo >>> 0) : `(${lo.lo} >>> 0)`);

const spillAll = (): string => Array.from({ length: 11 }, (_, r) => `R[${2 * r}] = h${r}; R[${2 * r + 1}] = l${r};`).join(" ");
const reloadAll = (): string => Array.from({ length: 11 }, (_, r) => `h${r} = R[${2 * r}]; l${r} = R[${2 * r + 1}];`).join(" ");
const spillArguments = (): string => Array.from({ length: 5 }, (_, i) => `R[${2 * (i + 1)}] = h${i + 1}; R[${2 * (i + 1) + 1}] = l${i + 1};`).join(" ");

export function emitFunction(program: Program, entry: number, stepwise: boolean, proofs: AccessProofs = NO_PROOFS): string {
  const { blocks, blockAt } = findBlocks(program, entry, stepwise);
  const sites: string[] = [];
  const cases = blocks.map((block) => new BlockEmitter(program, block, blockAt, stepwise, proofs, sites).emit());
  const packet = proofs.packetInBounds.size > 0 || proofs.packetEdges.size > 0 ? `, PE = S.packetEntry(), PV = PE.view, PB = PE.baseLo` : "";
  const edges = proofs.packetEdges.size > 0 ? `, XB = S.machine.xdp.buffer` : "";
  const loads = Array.from({ length: 11 }, (_, r) => `h${r} = I[${2 * r}], l${r} = I[${2 * r + 1}]`).join(", ");
  return [
    `"use strict";`,
    `const { PAIR: P, mul64, shiftLeft64, shiftRight64, shiftRightArith64, byteSwap32, byteSwap16, aluWide } = rt;`,
    ...(sites.length > 0 ? [`let ${sites.join(", ")};`] : []),
    `return function ${stepwise ? "stepwise" : "compiled"}_pc${entry}(S, depth) {`,
    `const R = S.R, M = S.mem, SL = M.slots, max = S.maxSteps, SE = S.stackEntry(depth), SV = SE.view, MA = M.memory${packet}${edges};`,
    // A run's first function takes its registers from S.start (a session's initial registers), any other from R.
    `const I = S.start ?? R; S.start = undefined;`,
    `let ${loads};`,
    `let steps = S.steps, t = 0, u = 0, v = 0, vh = 0, ah = 0, al = 0, oh = 0, ol = 0, o = 0, e = SL[0];`,
    `let b = ${blockAt.get(entry)};`,
    `for (;;) {`,
    `switch (b) {`,
    ...cases,
    `default: throw new Error("compiled eBPF: no block " + b);`,
    `}`,
    `}`,
    `};`,
  ].join("\n");
}

class BlockEmitter {
  private readonly out: string[] = [];
  private readonly length: number;
  private index = 0;

  constructor(
    private readonly program: Program,
    private readonly block: Block,
    private readonly blockAt: ReadonlyMap<number, number>,
    private readonly stepwise: boolean,
    private readonly proofs: AccessProofs,
    // Variables the function keeps between calls (declared outside it), as `name = initial` text.
    private readonly sites: string[],
  ) {
    this.length = block.pcs.length;
  }

  emit(): string {
    const start = this.block.pcs[0];
    const n = this.length;
    this.out.push(`case ${this.block.id}: {`);
    if (this.stepwise) this.out.push(`if (steps >= max) return S.budget(${start}, steps);`);
    else this.out.push(`if (steps > max - ${n}) { ${spillAll()} S.steps = steps; return CP.stepwise(${start}, S, depth); }`);
    this.out.push(`steps += ${n};`);
    for (this.index = 0; this.index < n; this.index++) {
      const pc = this.block.pcs[this.index];
      const flow = this.block.flows[this.index];
      const insn = this.program[pc];
      if (flow.invalid !== undefined) {
        this.referenceEnds(pc);
        break;
      }
      this.instruction(insn, pc);
      const last = this.index === n - 1;
      if (last && flow.fallsThrough && !flow.endsBlock) this.goto(pc, pc + flow.slots);
    }
    this.out.push(`}`);
    return this.out.join("\n");
  }

  // The steps counted when the current instruction is the last one executed.
  private get stepsHere(): string {
    const after = this.length - this.index - 1;
    return after === 0 ? "steps" : `(steps - ${after})`;
  }

  private fail(fault: Fault): void {
    this.out.push(`return S.fail(${JSON.stringify(fault)}, ${this.stepsHere});`);
  }

  // The instruction runs in the reference interpreter (run.ts execute), registers going through R.
  private reference(pc: number): void {
    this.out.push(`${spillAll()} S.steps = ${this.stepsHere};`);
    this.out.push(`if (S.reference(CP, ${pc}, depth) !== ${CONTINUED}) return ${ENDED};`);
    this.out.push(reloadAll());
  }

  // As reference(), for an instruction that always ends the run (a refusal the reference words).
  private referenceEnds(pc: number): void {
    this.out.push(`${spillAll()} S.steps = ${this.stepsHere}; if (S.reference(CP, ${pc}, depth) !== ${CONTINUED}) return ${ENDED}; S.unexpected(${pc});`);
  }

  // Control goes from the instruction at `pc` to `target`.
  private goto(pc: number, target: number): void {
    const id = this.blockAt.get(target);
    if (target >= 0 && target < this.program.length && id !== undefined) this.out.push(`b = ${id}; continue;`);
    else this.fail(pcOutOfRangeFault(pc, target, this.program.length));
  }

  private instruction(insn: Insn, pc: number): void {
    switch (opClass(insn.opcode)) {
      case Class.ALU:
      case Class.ALU64:
        return this.alu(insn);
      case Class.JMP:
      case Class.JMP32:
        return this.jump(insn, pc);
      case Class.LD:
        // LD_ABS / LD_IND (the legacy packet loads) are rare enough to run in the reference.
        return insn.opcode === LDDW ? this.lddw(insn, pc) : this.reference(pc);
      case Class.LDX:
        return this.load(insn, pc);
      case Class.ST:
        return this.store(insn, pc, immediate(insn.imm));
      case Class.STX:
        return opMode(insn.opcode) === Mode.ATOMIC ? this.atomic(insn, pc) : this.store(insn, pc, reg(insn.src));
    }
  }

  // ---- ALU, ALU64 ----

  private alu(insn: Insn): void {
    const is64 = opClass(insn.opcode) === Class.ALU64;
    const op = opCode(insn.opcode);
    const d = reg(insn.dst);
    if (op === AluOp.END) return this.byteOrder(is64, opSource(insn.opcode), insn.imm, d);
    const s = opSource(insn.opcode) === Source.X ? reg(insn.src) : immediate(insn.imm);
    this.out.push(is64 ? alu64(op, d, s, insn.off) : alu32(op, d, s, insn.off));
  }

  private byteOrder(is64: boolean, source: number, width: number, d: Operand): void {
    if (!is64 && source === EndSource.TO_LE) {
      if (width === 16) this.out.push(`${d.lo} &= 0xffff; ${d.hi} = 0;`);
      else if (width === 32) this.out.push(`${d.hi} = 0;`);
      return;
    }
    if (width === 16) this.out.push(`${d.lo} = byteSwap16(${d.lo}); ${d.hi} = 0;`);
    else if (width === 32) this.out.push(`${d.lo} = byteSwap32(${d.lo}); ${d.hi} = 0;`);
    else this.out.push(`t = byteSwap32(${d.lo}); ${d.lo} = byteSwap32(${d.hi}); ${d.hi} = t;`);
  }

  // ---- JMP, JMP32 ----

  private jump(insn: Insn, pc: number): void {
    const is32 = opClass(insn.opcode) === Class.JMP32;
    const op = opCode(insn.opcode);
    switch (op) {
      case JmpOp.JA:
        return this.goto(pc, pc + 1 + (is32 ? insn.imm : insn.off));
      case JmpOp.EXIT:
        this.out.push(`R[0] = h0; R[1] = l0; S.steps = steps; S.exitPc = ${pc}; return ${RETURNED};`);
        return;
      case JmpOp.CALL:
        return this.call(insn, pc);
    }
    const s = opSource(insn.opcode) === Source.X ? reg(insn.src) : immediate(insn.imm);
    const taken = condition(op, is32, reg(insn.dst), s);
    const target = pc + 1 + insn.off;
    const takenBlock = this.blockAt.get(target);
    const takenCode =
      target >= 0 && target < this.program.length && takenBlock !== undefined
        ? `b = ${takenBlock};`
        : `return S.fail(${JSON.stringify(pcOutOfRangeFault(pc, target, this.program.length))}, steps);`;
    this.out.push(`if (${taken}) { ${takenCode} continue; }`);
    this.goto(pc, pc + 1);
  }

  private call(insn: Insn, pc: number): void {
    if (opSource(insn.opcode) === Source.X) {
      const d = reg(insn.dst);
      this.out.push(`${spillAll()} S.steps = steps;`);
      this.out.push(`v = S.callx(CP, ${pc}, depth, ${d.hi}, ${d.lo});`);
      this.afterHelper(pc);
      return;
    }
    switch (insn.src) {
      case PseudoCall.HELPER:
        this.out.push(`${spillAll()} S.steps = steps;`);
        this.out.push(`v = S.helper(CP, ${insn.imm >>> 0}, ${pc}, depth);`);
        this.afterHelper(pc);
        return;
      case PseudoCall.LOCAL:
        this.out.push(`${spillArguments()} S.steps = steps;`);
        this.out.push(`if (S.callLocal(CP, ${pc + 1 + insn.imm}, ${pc}, depth) !== ${CALL_SET_R0}) return ${ENDED};`);
        this.out.push(`steps = S.steps; h0 = R[0]; l0 = R[1];`);
        this.goto(pc, pc + 1);
        return;
      case PseudoCall.KFUNC:
        // The reference runs the kfuncs it implements (helpers/kfunc-implementations.ts) and faults on the others.
        this.reference(pc);
        this.goto(pc, pc + 1);
        return;
    }
  }

  // After a helper (or callx): r0 set, kept, the run over, or a tail call that ran the rest of the frame.
  private afterHelper(pc: number): void {
    this.out.push(`if (v !== ${CALL_KEPT_R0}) { if (v === ${CALL_SET_R0}) { h0 = R[0]; l0 = R[1]; } else if (v === ${ENDED}) return ${ENDED}; else return S.tailStatus; }`);
    this.out.push(`steps = S.steps;`);
    // The runtime checked that pc + 1 is inside the program.
    this.out.push(`b = ${this.blockAt.get(pc + 1) ?? -1}; continue;`);
  }

  // ---- LD ----

  private lddw(insn: Insn, pc: number): void {
    const d = reg(insn.dst);
    const value = this.pseudoValue(insn, pc);
    if (value === undefined) return;
    this.out.push(`${d.hi} = ${value.hi}; ${d.lo} = ${value.lo};`);
  }

  // The operand an lddw loads, or undefined after handing the instruction to the reference.
  private pseudoValue(insn: Insn, pc: number): Operand | undefined {
    const second = this.program[pc + 1];
    const orReference = (ok: string): void => {
      this.out.push(`if (!(${ok})) { ${spillAll()} S.steps = ${this.stepsHere}; if (S.reference(CP, ${pc}, depth) !== ${CONTINUED}) return ${ENDED}; S.unexpected(${pc}); }`);
    };
    switch (insn.src) {
      case PseudoLd.IMM64:
        return constantOf(second.imm, insn.imm);
      case PseudoLd.MAP_FD:
      case PseudoLd.MAP_IDX:
        orReference(`S.maps[${insn.imm}]`);
        return fromBig(mapHandleAddress(insn.imm));
      case PseudoLd.MAP_VALUE:
      case PseudoLd.MAP_IDX_VALUE:
      {
        // The address is remembered at this site for as long as mapValue says it stays put (compile-runtime.ts).
        const site = `mv${pc}`;
        this.sites.push(`${site}s = null, ${site}a = -1, ${site}h = 0, ${site}l = 0`);
        this.out.push(`if (${site}s === S && ${site}a === MA.allocations) { P[0] = ${site}h; P[1] = ${site}l; } else {`);
        orReference(`(v = S.mapValue(${insn.imm}, ${second.imm >>> 0})) !== ${VALUE_NONE}`);
        this.out.push(`if (v === ${VALUE_STABLE}) { ${site}s = S; ${site}a = MA.allocations; ${site}h = P[0]; ${site}l = P[1]; } }`);
        return { hi: "P[0]", lo: "P[1]" };
      }
      case PseudoLd.FUNC:
        return fromBig(segmentBase(Segment.FUNCTIONS) + BigInt(pc + 1 + insn.imm));
      default:
        // Kernel symbols (BTF ids) and unknown kinds: the reference refuses them in its words.
        this.referenceEnds(pc);
        return undefined;
    }
  }

  // ---- LDX, ST, STX ----

  // ah:al = base + off (off a signed 16-bit constant).
  private address(base: number, off: number): void {
    const b = reg(base);
    if (off === 0) this.out.push(`ah = ${b.hi}; al = ${b.lo};`);
    else if (off > 0) this.out.push(`t = (${b.lo} >>> 0) + ${off}; al = t | 0; ah = t > ${TWO_32 - 1} ? (${b.hi} + 1) | 0 : ${b.hi};`);
    else this.out.push(`t = (${b.lo} >>> 0) - ${-off}; al = t | 0; ah = t < 0 ? (${b.hi} - 1) | 0 : ${b.hi};`);
  }

  private storeOrFault(size: number, value: Operand, pc: number): void {
    this.out.push(`${inlineStoreRefused(size, value)} return S.memoryFault(${pc}, ${this.stepsHere});`);
  }

  private faultUnless(condition: string, pc: number): void {
    this.out.push(`if (${condition}) return S.memoryFault(${pc}, ${this.stepsHere});`);
  }

  private load(insn: Insn, pc: number): void {
    const size = sizeBytes[opSize(insn.opcode)];
    const d = reg(insn.dst);
    const at = frameOffset(insn.src, insn.off, size);
    if (at !== undefined) return this.out.push(stackLoad(d, at, size, opMode(insn.opcode) === Mode.MEMSX)), undefined;
    const edge = this.proofs.packetEdges.get(pc);
    // xdp_md.data / data_end / data_meta: the packet frame's base plus the buffer's offset (compile-facts.ts).
    if (edge !== undefined) return this.out.push(`${d.hi} = PE.segment; ${d.lo} = (PB + XB.${edge}) | 0;`), undefined;
    this.address(insn.src, insn.off);
    if (this.proofs.packetInBounds.has(pc)) return this.out.push(packetLoad(d, size, opMode(insn.opcode) === Mode.MEMSX)), undefined;
    if (size === 8) {
      this.out.push(inlineLoad(8));
      this.faultUnless("v < 0", pc);
      this.out.push(`${d.hi} = vh; ${d.lo} = v | 0;`);
      return;
    }
    this.out.push(inlineLoad(size));
    const refused = `return S.memoryFault(${pc}, ${this.stepsHere});`;
    if (opMode(insn.opcode) !== Mode.MEMSX) {
      this.out.push(`if (v >= 0) { ${d.lo} = v | 0; ${d.hi} = 0; } else if (v === ${WIDE}) { ${d.lo} = M.loadedLo; ${d.hi} = M.loadedHi; } else ${refused}`);
      return;
    }
    this.out.push(`if (v < 0) { if (v === ${REFUSED}) ${refused} v = M.loadedLo >>> 0; }`);
    if (size === 4) this.out.push(`${d.lo} = v | 0; ${d.hi} = ${d.lo} >> 31;`);
    else this.out.push(`${d.lo} = (v << ${32 - 8 * size}) >> ${32 - 8 * size}; ${d.hi} = ${d.lo} >> 31;`);
  }

  private store(insn: Insn, pc: number, value: Operand): void {
    const size = sizeBytes[opSize(insn.opcode)];
    const at = frameOffset(insn.dst, insn.off, size);
    if (at !== undefined) return this.out.push(stackStore(value, at, size)), undefined;
    this.address(insn.dst, insn.off);
    if (this.proofs.packetInBounds.has(pc)) return this.out.push(packetStore(value, size)), undefined;
    this.storeOrFault(sizeBytes[opSize(insn.opcode)], value, pc);
  }

  // run.ts atomicStep: load (may fault), then the operation (may be refused), then store (may fault), then the fetch.
  private atomic(insn: Insn, pc: number): void {
    const size = sizeBytes[opSize(insn.opcode)];
    const op = insn.imm;
    const fetches = (op & AtomicOp.FETCH) !== 0;
    // An operation the ISA does not define is refused after its load: the reference does both.
    if (!ATOMIC_OPS.has(op)) return this.reference(pc);
    const s = reg(insn.src);
    this.address(insn.dst, insn.off);
    if (size === 8) {
      this.out.push(inlineLoad(8));
      this.faultUnless("v < 0", pc);
      this.out.push(`oh = vh; ol = v | 0;`);
    } else {
      this.out.push(inlineLoad(4));
      this.out.push(`if (v >= 0) { oh = 0; ol = v | 0; } else if (v === ${WIDE}) { oh = M.loadedHi; ol = M.loadedLo; } else return S.memoryFault(${pc}, ${this.stepsHere});`);
    }
    // The operand is src at the access width.
    const operand: Operand = size === 8 ? s : { hi: "0", lo: s.lo };
    let stored: Operand;
    switch (op & ~AtomicOp.FETCH) {
      case AtomicOp.ADD:
        if (size === 8) this.out.push(`t = (ol >>> 0) + (${s.lo} >>> 0); u = (oh + ${s.hi} + (t > ${TWO_32 - 1} ? 1 : 0)) | 0; t = t | 0;`);
        else this.out.push(`u = 0; t = (ol + ${s.lo}) | 0;`);
        stored = { hi: "u", lo: "t" };
        break;
      case AtomicOp.OR:
        stored = { hi: `(oh | ${operand.hi})`, lo: `(ol | ${operand.lo})` };
        break;
      case AtomicOp.AND:
        stored = { hi: `(oh & ${operand.hi})`, lo: `(ol & ${operand.lo})` };
        break;
      case AtomicOp.XOR:
        stored = { hi: `(oh ^ ${operand.hi})`, lo: `(ol ^ ${operand.lo})` };
        break;
      case AtomicOp.XCHG & ~AtomicOp.FETCH:
        stored = operand;
        break;
      case AtomicOp.CMPXCHG & ~AtomicOp.FETCH: {
        const matches = size === 8 ? `oh === h0 && ol === l0` : `oh === 0 && ol === l0`;
        this.out.push(`if (${matches}) {`);
        this.storeOrFault(size, operand, pc);
        this.out.push(`}`);
        this.out.push(`h0 = oh; l0 = ol;`);
        return;
      }
      default:
        throw new Error(`compiled eBPF: atomic operation 0x${op.toString(16)} passed the checks`);
    }
    this.storeOrFault(size, stored, pc);
    if (fetches) this.out.push(`${s.hi} = oh; ${s.lo} = ol;`);
  }
}

// An access through r10 at a constant offset inside the frame's 512 bytes needs no check: r10 is
// read-only and always points at the end of the current frame's stack (SV, its bytes; SE, its cache
// entry, whose `low` remembers the lowest byte written). Returns the offset into SV.
function frameOffset(base: number, off: number, size: number): number | undefined {
  const at = STACK_BYTES + off;
  return base === FRAME_POINTER && at >= 0 && at + size <= STACK_BYTES ? at : undefined;
}

function stackLoad(d: Operand, at: number, size: number, signed: boolean): string {
  if (size === 8) return `${d.lo} = SV.getInt32(${at}, true); ${d.hi} = SV.getInt32(${at + 4}, true);`;
  const get = size === 4 ? `SV.getInt32(${at}, true)` : size === 2 ? `SV.get${signed ? "Int" : "Uint"}16(${at}, true)` : `SV.get${signed ? "Int" : "Uint"}8(${at})`;
  return `${d.lo} = ${get}; ${d.hi} = ${signed ? `${d.lo} >> 31` : "0"};`;
}

function stackStore(value: Operand, at: number, size: number): string {
  const set =
    size === 8
      ? `SV.setInt32(${at}, ${value.lo}, true); SV.setInt32(${at + 4}, ${value.hi}, true);`
      : size === 4
        ? `SV.setInt32(${at}, ${value.lo}, true);`
        : size === 2
          ? `SV.setUint16(${at}, ${value.lo}, true);`
          : `SV.setUint8(${at}, ${value.lo});`;
  return `${set} if (SE.low > ${at}) SE.low = ${at};`;
}

// A packet access the verifier proved inside data..data_end (compile-facts.ts): the packet frame's
// bytes (PV) at the address's offset from the frame's base (PB).
function packetLoad(d: Operand, size: number, signed: boolean): string {
  const at = "(al >>> 0) - PB";
  if (size === 8) return `o = ${at}; ${d.lo} = PV.getInt32(o, true); ${d.hi} = PV.getInt32(o + 4, true);`;
  const get = size === 4 ? `PV.getInt32(${at}, true)` : size === 2 ? `PV.get${signed ? "Int" : "Uint"}16(${at}, true)` : `PV.get${signed ? "Int" : "Uint"}8(${at})`;
  return `${d.lo} = ${get}; ${d.hi} = ${signed ? `${d.lo} >> 31` : "0"};`;
}

function packetStore(value: Operand, size: number): string {
  const at = "o = (al >>> 0) - PB;";
  if (size === 8) return `${at} PV.setInt32(o, ${value.lo}, true); PV.setInt32(o + 4, ${value.hi}, true);`;
  return `${at} PV.${size === 4 ? "setInt32" : size === 2 ? "setUint16" : "setUint8"}(o, ${value.lo}${size === 1 ? "" : ", true"});`;
}

// The memory port's fast path, inline: the segment's cache entry (compile-memory.ts) and the
// offset from its base; a hit is a DataView access, anything else goes to the port.
const entryAndOffset = `e = SL[Math.imul(ah, ${HASH_MULTIPLIER}) >>> ${32 - CACHE_BITS}]; o = (al >>> 0) - e.baseLo;`;
const hit = (size: number, write: boolean): string => `e.segment === ah${write ? " && e.writable" : ""} && o >= e.start && o <= e.end - ${size}`;
const GETTERS: Record<number, string> = { 1: "getUint8(o)", 2: "getUint16(o, true)", 4: "getUint32(o, true)" };

// v = the loaded value as MemoryPort.missedLoad returns it (and vh = the upper half of an 8-byte load).
function inlineLoad(size: number): string {
  if (size === 8) return `${entryAndOffset} if (${hit(8, false)}) { v = e.view.getUint32(o, true); vh = e.view.getInt32(o + 4, true); } else { v = M.missedLoad(ah, al, 8); vh = M.loadedHi; }`;
  return `${entryAndOffset} v = ${hit(size, false)} ? e.view.${GETTERS[size]} : M.missedLoad(ah, al, ${size});`;
}

// A store of the low `size` bytes of value at ah:al, as a condition that is true when the store was refused.
function inlineStoreRefused(size: number, value: Operand): string {
  const write =
    size === 8
      ? `e.view.setInt32(o, ${value.lo}, true); e.view.setInt32(o + 4, ${value.hi}, true);`
      : size === 4
        ? `e.view.setInt32(o, ${value.lo}, true);`
        : size === 2
          ? `e.view.setUint16(o, ${value.lo}, true);`
          : `e.view.setUint8(o, ${value.lo});`;
  // `low` tracks the lowest byte written (MemoryPort.zeroWritten).
  return `${entryAndOffset} if (${hit(size, true)}) { ${write} if (o < e.low) e.low = o; } else if (!M.missedStore(ah, al, ${size}, ${size === 8 ? value.hi : 0}, ${value.lo}))`;
}

// ---- Arithmetic as statements on the halves of d (src s), one function per width ----

function alu64(op: number, d: Operand, s: Operand, off: number): string {
  switch (op) {
    case AluOp.ADD:
      return `t = (${d.lo} >>> 0) + ${unsigned(s)}; ${d.hi} = (${d.hi} + ${s.hi} + (t > ${TWO_32 - 1} ? 1 : 0)) | 0; ${d.lo} = t | 0;`;
    case AluOp.SUB:
      return `t = (${d.lo} >>> 0) - ${unsigned(s)}; ${d.hi} = (${d.hi} - ${s.hi} - (t < 0 ? 1 : 0)) | 0; ${d.lo} = t | 0;`;
    case AluOp.MUL:
      return `mul64(${d.hi}, ${d.lo}, ${s.hi}, ${s.lo}); ${d.hi} = P[0]; ${d.lo} = P[1];`;
    case AluOp.DIV:
    case AluOp.MOD: {
      const wide = `aluWide(${op}, true, ${off}, ${d.hi}, ${d.lo}, ${s.hi}, ${s.lo}); ${d.hi} = P[0]; ${d.lo} = P[1];`;
      if (off !== 0) return wide;
      const narrow =
        op === AluOp.DIV
          ? `${d.lo} = ${s.lo} === 0 ? 0 : ((${d.lo} >>> 0) / ${unsigned(s)}) | 0;`
          : `if (${s.lo} !== 0) ${d.lo} = ((${d.lo} >>> 0) % ${unsigned(s)}) | 0;`;
      return `if (${d.hi} === 0 && ${s.hi} === 0) { ${narrow} } else { ${wide} }`;
    }
    case AluOp.OR:
      return `${d.hi} |= ${s.hi}; ${d.lo} |= ${s.lo};`;
    case AluOp.AND:
      return `${d.hi} &= ${s.hi}; ${d.lo} &= ${s.lo};`;
    case AluOp.XOR:
      return `${d.hi} ^= ${s.hi}; ${d.lo} ^= ${s.lo};`;
    case AluOp.LSH:
      return shift64("shiftLeft64", d, s);
    case AluOp.RSH:
      return shift64("shiftRight64", d, s);
    case AluOp.ARSH:
      return shift64("shiftRightArith64", d, s);
    case AluOp.NEG:
      return `t = ${d.lo}; ${d.lo} = (-t) | 0; ${d.hi} = (~${d.hi} + (t === 0 ? 1 : 0)) | 0;`;
    case AluOp.MOV:
      if (off === 0) return `${d.hi} = ${s.hi}; ${d.lo} = ${s.lo};`;
      if (off === 32) return `${d.hi} = ${s.lo} >> 31; ${d.lo} = ${s.lo};`;
      return `${d.lo} = (${s.lo} << ${32 - off}) >> ${32 - off}; ${d.hi} = ${d.lo} >> 31;`;
    default:
      throw new Error(`compiled eBPF: 64-bit ALU op 0x${op.toString(16)} passed the checks`);
  }
}

// Constant shift amounts are resolved here; register amounts use the low 6 bits of src.
function shift64(kind: "shiftLeft64" | "shiftRight64" | "shiftRightArith64", d: Operand, s: Operand): string {
  if (!s.constant) return `${kind}(${d.hi}, ${d.lo}, ${s.lo} & 63); ${d.hi} = P[0]; ${d.lo} = P[1];`;
  const n = s.constant.lo & 63;
  if (n === 0) return "";
  if (kind === "shiftLeft64") {
    if (n < 32) return `${d.hi} = (${d.hi} << ${n}) | (${d.lo} >>> ${32 - n}); ${d.lo} = ${d.lo} << ${n};`;
    return `${d.hi} = ${d.lo} << ${n - 32}; ${d.lo} = 0;`;
  }
  const fill = kind === "shiftRight64" ? `${d.hi} >>> ${n}` : `${d.hi} >> ${n}`;
  if (n < 32) return `${d.lo} = (${d.lo} >>> ${n}) | (${d.hi} << ${32 - n}); ${d.hi} = ${kind === "shiftRight64" ? `(${fill}) | 0` : fill};`;
  if (kind === "shiftRight64") return `${d.lo} = (${d.hi} >>> ${n - 32}) | 0; ${d.hi} = 0;`;
  return `${d.lo} = ${d.hi} >> ${n - 32}; ${d.hi} = ${d.hi} >> 31;`;
}

function alu32(op: number, d: Operand, s: Operand, off: number): string {
  const x = s.lo;
  const set = (expression: string): string => `${d.lo} = ${expression}; ${d.hi} = 0;`;
  switch (op) {
    case AluOp.ADD:
      return set(`(${d.lo} + ${x}) | 0`);
    case AluOp.SUB:
      return set(`(${d.lo} - ${x}) | 0`);
    case AluOp.MUL:
      return set(`Math.imul(${d.lo}, ${x})`);
    case AluOp.DIV:
      if (off === 0) return set(`${x} === 0 ? 0 : ((${d.lo} >>> 0) / ${unsigned(s)}) | 0`);
      return `t = ${x}; ${d.lo} = t === 0 ? 0 : t === -1 ? (-${d.lo}) | 0 : (${d.lo} / t) | 0; ${d.hi} = 0;`;
    case AluOp.MOD:
      if (off === 0) return `t = ${x}; if (t !== 0) ${d.lo} = ((${d.lo} >>> 0) % (t >>> 0)) | 0; ${d.hi} = 0;`;
      return `t = ${x}; if (t === -1) ${d.lo} = 0; else if (t !== 0) ${d.lo} = (${d.lo} % t) | 0; ${d.hi} = 0;`;
    case AluOp.OR:
      return set(`${d.lo} | ${x}`);
    case AluOp.AND:
      return set(`${d.lo} & ${x}`);
    case AluOp.XOR:
      return set(`${d.lo} ^ ${x}`);
    case AluOp.LSH:
      return set(`${d.lo} << (${x} & 31)`);
    case AluOp.RSH:
      return set(`(${d.lo} >>> (${x} & 31)) | 0`);
    case AluOp.ARSH:
      return set(`${d.lo} >> (${x} & 31)`);
    case AluOp.NEG:
      return set(`(-${d.lo}) | 0`);
    case AluOp.MOV:
      if (off === 0) return set(x);
      return set(`(${x} << ${32 - off}) >> ${32 - off}`);
    default:
      throw new Error(`compiled eBPF: 32-bit ALU op 0x${op.toString(16)} passed the checks`);
  }
}

// A jump condition as a JavaScript boolean expression (RFC 9669 §4.3).
function condition(op: number, is32: boolean, a: Operand, b: Operand): string {
  const signed = op === JmpOp.JSGT || op === JmpOp.JSGE || op === JmpOp.JSLT || op === JmpOp.JSLE;
  const relation: Record<number, string> = {
    [JmpOp.JGT]: ">",
    [JmpOp.JGE]: ">=",
    [JmpOp.JLT]: "<",
    [JmpOp.JLE]: "<=",
    [JmpOp.JSGT]: ">",
    [JmpOp.JSGE]: ">=",
    [JmpOp.JSLT]: "<",
    [JmpOp.JSLE]: "<=",
  };
  if (is32) {
    switch (op) {
      case JmpOp.JEQ:
        return `${a.lo} === ${b.lo}`;
      case JmpOp.JNE:
        return `${a.lo} !== ${b.lo}`;
      case JmpOp.JSET:
        return `(${a.lo} & ${b.lo}) !== 0`;
      default:
        return signed ? `${a.lo} ${relation[op]} ${b.lo}` : `(${a.lo} >>> 0) ${relation[op]} ${unsigned(b)}`;
    }
  }
  switch (op) {
    case JmpOp.JEQ:
      return `${a.hi} === ${b.hi} && ${a.lo} === ${b.lo}`;
    case JmpOp.JNE:
      return `${a.hi} !== ${b.hi} || ${a.lo} !== ${b.lo}`;
    case JmpOp.JSET:
      return `(${a.hi} & ${b.hi}) !== 0 || (${a.lo} & ${b.lo}) !== 0`;
    default: {
      const high = signed ? `${a.hi} ${relation[op].charAt(0)} ${b.hi}` : `(${a.hi} >>> 0) ${relation[op].charAt(0)} ${b.constant ? String(b.constant.hi >>> 0) : `(${b.hi} >>> 0)`}`;
      return `${a.hi} !== ${b.hi} ? ${high} : (${a.lo} >>> 0) ${relation[op]} ${unsigned(b)}`;
    }
  }
}
