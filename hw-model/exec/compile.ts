// Stage microcode compiled to JavaScript, so a packet's instructions run as
// straight-line code instead of going through the interpreter's decode and
// dispatch one at a time. The code is cut into basic blocks (a `switch` on the
// pc picks the block a branch lands on); within a block, ALU, immediate,
// local-memory, CSR and branch instructions become inline expressions on the
// thread's registers with their operands and constants folded in, and memory
// commands, ctx_arb, fwcall and the stage's end call the executor's own methods
// for those instructions, which the interpreter uses too.
//
// The result is the interpreter's, bit for bit: the same register and flag
// values, trace records, cycle counts and faults (pc, message and instruction
// count). Accounting is per straight-line segment: a segment that would pass
// the packet's instruction limit, a return into the middle of a block, running
// off the program or an unknown opcode hand the rest of the stage to the
// interpreter (the function returns that pc), which then faults or goes on at
// the exact instruction. Programs are compiled once per code array and
// parameters, and the generated function is shared by every executor.
import { Flag, Op } from "../isa/opcode.ts";
import { F_A, F_B, F_C, F_D, F_FLAGS, F_IMM, F_N, F_OP, F_X, STRIDE } from "../isa/instruction.ts";
import { IMM, NONE, X0 } from "../isa/register.ts";
import { Csr } from "../isa/csr.ts";
import { OFFSET_MASK, Region, REGION_SHIFT, packetAddress } from "./address.ts";
import type { ExecParams } from "./params.ts";
import type { Executor } from "./executor.ts";

// Runs the current stage of `ex` from pc 0 with `count` instructions already run by the packet:
// -1 when the stage ended (its terminal instruction ran), else the pc the interpreter goes on from,
// with the flags, count and unwritten issue cycles (exitCycles) left in `ex`.
export type CompiledStage = (ex: Executor, regs: Int32Array, lm: Uint8Array, lmIndex: Int32Array, count: number) => number;

const cache = new WeakMap<Int32Array, Map<string, CompiledStage | null>>();

// The compiled stage for `code`, or null when the parameters are not whole cycles (then the
// interpreter's one-at-a-time float sums are the reference and nothing is compiled).
export function compileStage(code: Int32Array, params: ExecParams): CompiledStage | null {
  const key = `${params.issueCyclesPerInstruction},${params.takenBranchPenaltyCycles},${params.maxInstructionsPerPacket},${params.localMemoryBytesPerThread}`;
  let byParams = cache.get(code);
  if (!byParams) cache.set(code, (byParams = new Map()));
  let compiled = byParams.get(key);
  if (compiled === undefined) {
    compiled = build(code, params);
    byParams.set(key, compiled);
  }
  return compiled;
}

const COMPLEX = new Set<number>([Op.MEM_RD, Op.MEM_WR, Op.MEM_ADD, Op.MEM_TADD, Op.MEM_TAS, Op.CTX_ARB, Op.FWCALL]);
const TERMINAL = new Set<number>([Op.HANDOVER, Op.TO_HOST, Op.VERDICT]);
// Branches whose condition is a function of the flags, with that condition on locals z, n, c, v.
const FLAG_BRANCH: ReadonlyMap<number, string> = new Map([
  [Op.BR, "true"],
  [Op.BEQ, "z === 1"],
  [Op.BNE, "z === 0"],
  [Op.BMI, "n === 1"],
  [Op.BPL, "n === 0"],
  [Op.BCS, "c === 1"],
  [Op.BCC, "c === 0"],
  [Op.BVS, "v === 1"],
  [Op.BVC, "v === 0"],
  [Op.BHI, "c === 0 && z === 0"],
  [Op.BLS, "c === 1 || z === 1"],
  [Op.BGE, "n === v"],
  [Op.BLT, "n !== v"],
  [Op.BGT, "z === 0 && n === v"],
  [Op.BLE, "z === 1 || n !== v"],
]);
const JUMPS = new Set<number>([...FLAG_BRANCH.keys(), Op.BR_BSET, Op.BR_BCLR, Op.BAL]);
const ENDS_BLOCK = new Set<number>([...JUMPS, Op.RTN, ...TERMINAL]);
const KNOWN = new Set<number>(Object.values(Op));

function build(code: Int32Array, params: ExecParams): CompiledStage | null {
  const issue = params.issueCyclesPerInstruction;
  const penalty = params.takenBranchPenaltyCycles;
  const maxInsns = params.maxInstructionsPerPacket;
  if (![issue, penalty, maxInsns].every(Number.isSafeInteger)) return null;
  const length = code.length / STRIDE;
  const field = (pc: number, f: number): number => code[pc * STRIDE + f];
  const op = (pc: number): number => field(pc, F_OP);
  // An instruction the compiled code does not run: the interpreter takes over there.
  const handsOff = (pc: number): boolean => !KNOWN.has(op(pc));

  const leader = new Uint8Array(length + 1);
  leader[0] = 1;
  for (let pc = 0; pc < length; pc++) {
    const o = op(pc);
    if (JUMPS.has(o)) {
      const x = field(pc, F_X);
      if (x >= 0 && x < length) leader[x] = 1;
    }
    if (ENDS_BLOCK.has(o) || handsOff(pc)) leader[pc + 1] = 1;
  }

  const out: string[] = [];
  const emit = (line: string): void => void out.push(line);
  const lit = (x: number): string => (x < 0 ? `(${x})` : String(x));
  const bail = (pcExpr: string): string => `{ ex.flagZ = z; ex.flagN = n; ex.flagC = c; ex.flagV = v; ex.instructions = count; ex.exitCycles = cycles; return ${pcExpr}; }`;

  for (let start = 0; start < length; ) {
    let end = start + 1;
    while (end < length && !leader[end] && !ENDS_BLOCK.has(op(end - 1)) && !handsOff(end - 1)) end++;
    emit(`case ${start}:`);
    // Segments: straight-line runs that end after a memory command, ctx_arb or fwcall, or at the block's end.
    for (let seg = start; seg < end; ) {
      if (handsOff(seg)) {
        emit(`pc = ${seg}; ${bail("pc")}`);
        seg = end;
        break;
      }
      let segEnd = seg + 1;
      while (segEnd < end && !COMPLEX.has(op(segEnd - 1)) && !handsOff(segEnd)) segEnd++;
      const len = segEnd - seg;
      emit(`if (count > ${maxInsns - len}) { pc = ${seg}; ${bail("pc")} }`);
      emit(`count += ${len}; cycles += ${len * issue};`);
      for (let pc = seg; pc < segEnd; pc++) emitInsn(pc, segEnd - 1 - pc);
      seg = segEnd;
    }
    const last = end - 1;
    if (!ENDS_BLOCK.has(op(last)) && !handsOff(last)) emit(`pc = ${end};`);
    start = end;
  }

  // `later` = instructions of the segment after this one: the count at this one is count - later.
  function emitInsn(pc: number, later: number): void {
    const cnt = later === 0 ? "count" : `count - ${later}`;
    const o = op(pc);
    const d = field(pc, F_D);
    const a = field(pc, F_A);
    const b = field(pc, F_B);
    const cf = field(pc, F_C);
    const imm = field(pc, F_IMM);
    const nf = field(pc, F_N);
    const x = field(pc, F_X);
    // A source operand as the interpreter's rd(operand, immArg) reads it.
    const rd = (operand: number, immArg: number): string => {
      if (operand >= 0 && operand < X0) return `regs[${operand}]`;
      if (operand === IMM) return lit(immArg);
      return `ex.readAt(${operand}, ${immArg}, ${pc}, ${cnt})`;
    };
    const wr = (operand: number, value: string): string => {
      if (operand >= 0 && operand < X0) return `regs[${operand}] = ${value};`;
      return `ex.writeAt(${operand}, ${value}, ${pc}, ${cnt});`;
    };
    const setCount = `ex.instructions = ${cnt};`;
    const logicFlags = "z = r === 0 ? 1 : 0; n = r < 0 ? 1 : 0; c = v = 0;";
    const taken = (target: number): string => `pc = ${target}; cycles += ${penalty}; continue;`;
    switch (o) {
      case Op.NOP:
        return;
      case Op.ADD:
      case Op.ADDC:
        emit(`{ const a = ${rd(a, imm)}; const b = ${rd(b, imm)}; const sum = (a >>> 0) + (b >>> 0)${o === Op.ADDC ? " + c" : ""}; const r = sum | 0;`);
        emit(`c = sum > 0xffffffff ? 1 : 0; v = ((a ^ r) & (b ^ r)) < 0 ? 1 : 0; z = r === 0 ? 1 : 0; n = r < 0 ? 1 : 0; ${wr(d, "r")} }`);
        return;
      case Op.SUB:
      case Op.SUBC:
        emit(`{ const a = ${rd(a, imm)}; const b = ${rd(b, imm)}; const diff = (a >>> 0) - (b >>> 0)${o === Op.SUBC ? " - c" : ""}; const r = diff | 0;`);
        emit(`c = diff < 0 ? 1 : 0; v = ((a ^ b) & (a ^ r)) < 0 ? 1 : 0; z = r === 0 ? 1 : 0; n = r < 0 ? 1 : 0; ${wr(d, "r")} }`);
        return;
      case Op.AND:
      case Op.OR:
      case Op.XOR:
      case Op.ANDN: {
        const expr = o === Op.AND ? "a & b" : o === Op.OR ? "a | b" : o === Op.XOR ? "a ^ b" : "a & ~b";
        emit(`{ const a = ${rd(a, imm)}; const b = ${rd(b, imm)}; const r = ${expr}; ${logicFlags} ${wr(d, "r")} }`);
        return;
      }
      case Op.NOT:
      case Op.MOV:
        emit(`{ const b = ${rd(b, imm)}; const r = ${o === Op.NOT ? "~b" : "b"}; ${logicFlags} ${wr(d, "r")} }`);
        return;
      case Op.SHL:
      case Op.SHR:
      case Op.ASR:
      case Op.ROL: {
        const expr = o === Op.SHL ? "a << s" : o === Op.SHR ? "(a >>> s) | 0" : o === Op.ASR ? "a >> s" : "s === 0 ? a : (a << s) | (a >>> (32 - s))";
        emit(`{ const a = ${rd(a, 0)}; const s = (${b === NONE ? lit(imm) : rd(b, 0)}) & 31; const r = ${expr}; ${logicFlags} ${wr(d, "r")} }`);
        return;
      }
      case Op.DBL_SHR:
        emit(`{ const hi = ${rd(a, 0)}; const lo = ${rd(b, 0)}; const s = (${cf === NONE ? lit(imm) : rd(cf, 0)}) & 31;`);
        emit(`const r = s === 0 ? lo : (lo >>> s) | (hi << (32 - s)); ${logicFlags} ${wr(d, "r")} }`);
        return;
      case Op.BYTE_EXT:
        emit(`{ const a = ${rd(a, 0)}; const r = (a >>> ${8 * imm}) & 0xff; ${logicFlags} ${wr(d, "r")} }`);
        return;
      case Op.LD_FIELD: {
        const m = byteMask(nf);
        const rotated = imm === 0 ? "b" : `(b >>> ${imm}) | (b << ${32 - imm})`;
        emit(`{ const b = ${rd(b, 0)}; const rotated = ${rotated}; ${wr(d, `(${rd(d, 0)} & ${lit(~m)}) | (rotated & ${lit(m)})`)} }`);
        return;
      }
      case Op.MUL_START:
        emit(`{ const a = ${rd(a, 0)}; ex.mulStart(a, ${rd(b, 0)}); }`);
        return;
      case Op.MUL_STEP:
        emit(`${setCount} ex.mulStep(${pc});`);
        return;
      case Op.MUL_LO:
      case Op.MUL_HI:
        emit(`{ ${setCount} const r = ex.mulProduct(${pc}, ${o === Op.MUL_HI}); ${wr(d, "r")} }`);
        return;
      case Op.IMMED:
        emit(wr(d, lit(imm << nf)));
        return;
      case Op.IMMED_W1:
        emit(wr(d, `(${rd(d, 0)} & 0xffff) | ${lit(imm << 16)}`));
        return;
      case Op.BR_BSET:
      case Op.BR_BCLR:
        emit(`if (((${rd(a, 0)} >>> ${imm}) & 1) === ${o === Op.BR_BSET ? 1 : 0}) { ${taken(x)} }`);
        emit(`pc = ${pc + 1};`);
        return;
      case Op.BAL:
        emit(`${wr(d, String(pc + 1))} ${taken(x)}`);
        return;
      case Op.RTN:
        emit(`{ const target = ${rd(a, 0)}; if (target < 0 || target >= ${length}) { ${setCount} ex.returnFault(${pc}, target); } pc = target; cycles += ${penalty}; continue; }`);
        return;
      case Op.LM_BASE:
        emit(`{ const value = ${rd(a, 0)}; lmIndex[${nf}] = value >>> ${REGION_SHIFT} === ${Region.LOCAL} ? value & ${OFFSET_MASK} : value; }`);
        return;
      case Op.LM_LD: {
        const read = cf === 1 ? "lm[addr]" : cf === 2 ? "(lm[addr] << 8) | lm[addr + 1]" : "(lm[addr] << 24) | (lm[addr + 1] << 16) | (lm[addr + 2] << 8) | lm[addr + 3]";
        emit(`{ const addr = lmIndex[${nf}] + ${lit(imm)}; if (addr < 0 || addr + ${cf} > lm.length) { ${setCount} ex.localMemoryFault(${pc}, "read", ${cf}, addr); }`);
        emit(`const r = ${read}; ${wr(d, "r")} }`);
        return;
      }
      case Op.LM_ST: {
        const store =
          cf === 1
            ? "lm[addr] = value;"
            : cf === 2
              ? "lm[addr] = value >>> 8; lm[addr + 1] = value;"
              : "lm[addr] = value >>> 24; lm[addr + 1] = value >>> 16; lm[addr + 2] = value >>> 8; lm[addr + 3] = value;";
        emit(`{ const addr = lmIndex[${nf}] + ${lit(imm)}; if (addr < 0 || addr + ${cf} > lm.length) { ${setCount} ex.localMemoryFault(${pc}, "write", ${cf}, addr); }`);
        emit(`const value = ${rd(a, 0)}; ex.lmDirty = true; ${store} }`);
        return;
      }
      case Op.MEM_RD:
      case Op.MEM_WR:
        // The common case (packet memory, nothing in flight) through the executor's fast path; anything
        // else, faults included, through memCommand, as the interpreter runs it.
        if (a >= 0 && a < X0) {
          const flags = field(pc, F_FLAGS);
          const address = `(${rd(a, 0)} + ${lit(imm)}) | 0`;
          emit(`${setCount} if (!ex.packetMemCommand(${pc}, cycles, ${address}, ${cf}, ${d}, ${x}, ${(flags & Flag.LE) !== 0}, ${(flags & Flag.SWAP) !== 0}, ${o === Op.MEM_WR})) ex.memCommand(${pc}, cycles); cycles = 0;`);
          return;
        }
        emit(`${setCount} ex.memCommand(${pc}, cycles); cycles = 0;`);
        return;
      case Op.MEM_ADD:
      case Op.MEM_TADD:
      case Op.MEM_TAS:
        emit(`${setCount} ex.memCommand(${pc}, cycles); cycles = 0;`);
        return;
      case Op.CTX_ARB:
        emit(`${setCount} ex.ctxArb(${pc}, cycles); cycles = 0;`);
        return;
      case Op.FWCALL:
        emit(`${setCount} ex.fwcall(${pc}, cycles); cycles = 0;`);
        return;
      case Op.CSR_RD: {
        const pk = "ex.packet";
        const value =
          nf === Csr.DATA
            ? `packetAddress(${pk}.dataStart)`
            : nf === Csr.DATA_END
              ? `packetAddress(${pk}.dataEnd)`
              : nf === Csr.DATA_META
                ? `packetAddress(${pk}.metaStart)`
                : nf === Csr.PKT_LEN
                  ? `${pk}.dataEnd - ${pk}.dataStart`
                  : nf === Csr.INGRESS_IFINDEX
                    ? `${pk}.ingressIfindex`
                    : `${pk}.rxQueueIndex`;
        emit(wr(d, value));
        return;
      }
      case Op.HANDOVER:
      case Op.TO_HOST:
        emit(`${setCount} ex.endStage(${pc}, cycles); ex.flagZ = z; ex.flagN = n; ex.flagC = c; ex.flagV = v; return -1;`);
        return;
      case Op.VERDICT:
        emit(`${setCount} ex.verdict(${pc}, cycles); ex.flagZ = z; ex.flagN = n; ex.flagC = c; ex.flagV = v; return -1;`);
        return;
      default: {
        const condition = FLAG_BRANCH.get(o);
        if (condition === undefined) throw new Error(`compile: opcode ${o} at pc ${pc} has no translation`);
        if (o === Op.BR) emit(taken(x));
        else emit(`if (${condition}) { ${taken(x)} } pc = ${pc + 1};`);
      }
    }
  }

  const body = [
    "let z = ex.flagZ, n = ex.flagN, c = ex.flagC, v = ex.flagV;",
    "let cycles = 0;",
    "let pc = 0;",
    "for (;;) {",
    "switch (pc) {",
    ...out,
    // A pc that starts no block: a return into a block's middle, or past the last instruction.
    `default: ${bail("pc")}`,
    "}",
    "}",
  ].join("\n");
  const factory = new Function("packetAddress", `"use strict"; return function compiledStage(ex, regs, lm, lmIndex, count) {\n${body}\n};`) as (pa: typeof packetAddress) => CompiledStage;
  return factory(packetAddress);
}

function byteMask(mask4: number): number {
  return ((mask4 & 1 ? 0xff : 0) | (mask4 & 2 ? 0xff00 : 0) | (mask4 & 4 ? 0xff0000 : 0) | (mask4 & 8 ? 0xff000000 : 0)) | 0;
}

// For tests and debugging: the JavaScript a stage compiles to.
export function compiledSource(code: Int32Array, params: ExecParams): string | undefined {
  return compileStage(code, params)?.toString();
}
