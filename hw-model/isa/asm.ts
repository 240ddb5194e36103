// Text to microcode. One instruction per line, operands separated by commas:
//
//   label:                      ; a label names the next instruction
//       csr_rd   a0, data       ; comments start with ';' or '//'
//       mem_rd   x0, a0, #12, #2, s1, swap
//       sub      --, x0, #0     ; `--`: set the flags, write nothing
//       beq      label
//       verdict  drop
//
// Immediates are written #n (decimal, 0x hex or 0b binary, negative where the
// field is signed). The syntax of each format is in opcode.ts; disasm.ts prints
// exactly this syntax. Errors name line and column.
import { MicrocodeAsmError } from "../errors.ts";
import { CARRY_FIELD_MAX, Flag, opByMnemonic, mnemonicAliases, packCarry, type OpInfo } from "./opcode.ts";
import { IMM, NONE, SIGNALS, LM_INDEX_REGS, parseRegister } from "./register.ts";
import { fwRoutineByName } from "./fwcall.ts";
import { parseCsr } from "./csr.ts";
import { parseVerdict } from "./verdict.ts";
import { mk, validateInsn, pack, type MicroInsn, type Microprogram } from "./instruction.ts";

interface Operand {
  readonly text: string;
  readonly column: number; // 1-based
}

interface PendingInsn {
  readonly info: OpInfo;
  readonly operands: readonly Operand[];
  readonly suffix: string;
  readonly routine?: Operand;
  readonly line: number;
  readonly column: number;
}

const LABEL = /^[A-Za-z_.][A-Za-z0-9_.]*$/;

function stripComment(line: string): string {
  const semi = line.indexOf(";");
  const slashes = line.indexOf("//");
  const cut = [semi, slashes].filter((i) => i >= 0);
  return cut.length ? line.slice(0, Math.min(...cut)) : line;
}

// Splits "a, b , c" into operands with their 1-based columns (offset = column of text[0]).
function splitOperands(text: string, offset: number, line: number, file: string): Operand[] {
  if (text.trim() === "") return [];
  const out: Operand[] = [];
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i === text.length || text[i] === ",") {
      const raw = text.slice(start, i);
      const lead = raw.length - raw.trimStart().length;
      const trimmed = raw.trim();
      if (trimmed === "") throw new MicrocodeAsmError(`${file}:${line}:${offset + start}: empty operand.`, { file, line, column: offset + start });
      out.push({ text: trimmed, column: offset + start + lead });
      start = i + 1;
    }
  }
  return out;
}

// Assembles `source`; `file` only names the source in error messages.
export function assemble(source: string, file = "<microcode>"): Microprogram {
  const labels = new Map<string, number>();
  const pending: PendingInsn[] = [];
  const lines = source.split(/\r?\n/);
  lines.forEach((rawLine, index) => {
    const line = index + 1;
    let text = stripComment(rawLine);
    let column = 1;
    const fail = (col: number, what: string): never => {
      throw new MicrocodeAsmError(`${file}:${line}:${col}: ${what}.`, { file, line, column: col });
    };
    // Leading labels ("name:"), possibly several, possibly followed by an instruction.
    for (;;) {
      const m = /^(\s*)([A-Za-z_.][A-Za-z0-9_.]*)\s*:/.exec(text);
      if (!m) break;
      const name = m[2];
      if (labels.has(name)) fail(column + m[1].length, `label '${name}' is defined twice`);
      labels.set(name, pending.length);
      column += m[0].length;
      text = text.slice(m[0].length);
    }
    const lead = text.length - text.trimStart().length;
    text = text.trim();
    if (text === "") return;
    column += lead;
    const m = /^(\S+)(\s+(.*))?$/.exec(text)!;
    const word = m[1];
    const [base, ...suffixes] = word.split(".");
    const mnemonic = mnemonicAliases.get(base) ?? base;
    const info = opByMnemonic.get(mnemonic);
    if (!info) fail(column, `unknown instruction '${word}'`);
    if (suffixes.length > 1 || (suffixes.length === 1 && (suffixes[0] !== "le" || info!.format !== "mem"))) fail(column, `'${word}' has an unknown suffix (only memory commands take .le)`);
    let rest = m[3] ?? "";
    let restColumn = column + text.length - rest.length;
    let routine: Operand | undefined;
    if (info!.format === "fwcall") {
      const r = /^(\S+)(\s+|$)/.exec(rest);
      if (!r) fail(column, "fwcall needs a routine name");
      routine = { text: r![1], column: restColumn };
      restColumn += r![0].length;
      rest = rest.slice(r![0].length);
    }
    pending.push({ info: info!, operands: splitOperands(rest, restColumn, line, file), suffix: suffixes[0] ?? "", routine, line, column });
  });

  const insns = pending.map((p) => buildInsn(p, labels, file));
  insns.forEach((insn, pc) => {
    const problem = validateInsn(insn, insns.length);
    if (problem) {
      const p = pending[pc];
      throw new MicrocodeAsmError(`${file}:${p.line}:${p.column}: ${p.info.mnemonic}: ${problem}.`, { file, line: p.line, column: p.column });
    }
  });
  return { insns, code: pack(insns), labels };
}

function buildInsn(p: PendingInsn, labels: ReadonlyMap<string, number>, file: string): MicroInsn {
  const { info, operands } = p;
  const fail = (column: number, what: string): never => {
    throw new MicrocodeAsmError(`${file}:${p.line}:${column}: ${info.mnemonic}: ${what}.`, { file, line: p.line, column });
  };
  const count = (...allowed: number[]): void => {
    if (!allowed.includes(operands.length)) fail(p.column, `expects ${allowed.join(" or ")} operands, got ${operands.length}`);
  };
  const reg = (o: Operand): number => parseRegister(o.text) ?? fail(o.column, `'${o.text}' is not a register (a0..a15, b0..b15, x0..x15)`);
  const dest = (o: Operand): number => (o.text === "--" ? NONE : reg(o));
  const imm = (o: Operand): number => {
    const m = /^#(-?)(0x[0-9a-fA-F]+|0b[01]+|\d+)$/.exec(o.text);
    if (!m) return fail(o.column, `'${o.text}' is not an immediate (#n)`);
    const value = Number(m[2]) * (m[1] ? -1 : 1);
    if (!Number.isSafeInteger(value)) return fail(o.column, `'${o.text}' is too large`);
    return value;
  };
  const mask32 = (o: Operand): number => {
    const value = imm(o);
    return value >= 0 && value <= 0xffffffff ? value | 0 : fail(o.column, `live-register mask ${o.text} does not fit 32 bits`);
  };
  const isImm = (o: Operand): boolean => o.text.startsWith("#");
  const label = (o: Operand): number => {
    if (!LABEL.test(o.text)) return fail(o.column, `'${o.text}' is not a label name`);
    return labels.get(o.text) ?? fail(o.column, `label '${o.text}' is not defined`);
  };
  const lmIndex = (o: Operand): number => {
    const m = /^l(\d)$/.exec(o.text);
    return m && Number(m[1]) < LM_INDEX_REGS ? Number(m[1]) : fail(o.column, `'${o.text}' is not a local-memory index register (l0, l1)`);
  };
  const signal = (o: Operand): number => {
    const m = /^s(\d{1,2})$/.exec(o.text);
    const s = m ? Number(m[1]) : -1;
    return s >= 0 && s < SIGNALS ? s : fail(o.column, `'${o.text}' is not a signal (s0..s${SIGNALS - 1})`);
  };
  // A source operand: a register, or an immediate stored in the imm field.
  let immValue = 0;
  const src = (o: Operand): number => {
    if (!isImm(o)) return reg(o);
    immValue = imm(o);
    return IMM;
  };
  const op = info.op;
  switch (info.format) {
    case "none":
      count(0);
      return mk(op);
    case "alu3": {
      count(3);
      const d = dest(operands[0]);
      const a = src(operands[1]);
      const b = src(operands[2]);
      return mk(op, { d, a, b, imm: immValue });
    }
    case "alu1": {
      count(2);
      const d = dest(operands[0]);
      const b = src(operands[1]);
      return mk(op, { d, b, imm: immValue });
    }
    case "shift": {
      count(3);
      const amount = operands[2];
      return isImm(amount)
        ? mk(op, { d: dest(operands[0]), a: reg(operands[1]), imm: imm(amount) })
        : mk(op, { d: dest(operands[0]), a: reg(operands[1]), b: reg(amount) });
    }
    case "dblshift": {
      count(4);
      const amount = operands[3];
      const base = { d: reg(operands[0]), a: reg(operands[1]), b: reg(operands[2]) };
      return isImm(amount) ? mk(op, { ...base, imm: imm(amount) }) : mk(op, { ...base, c: reg(amount) });
    }
    case "byteext":
      count(3);
      return mk(op, { d: reg(operands[0]), a: reg(operands[1]), imm: imm(operands[2]) });
    case "ldfield":
      count(4);
      return mk(op, { d: reg(operands[0]), n: imm(operands[1]), b: reg(operands[2]), imm: imm(operands[3]) });
    case "mulstart":
      count(2);
      return mk(op, { a: reg(operands[0]), b: reg(operands[1]) });
    case "dest":
      count(1);
      return mk(op, { d: reg(operands[0]) });
    case "immed": {
      count(2, 3);
      let shift = 0;
      if (operands.length === 3) {
        const m = /^<<\s*(\d+)$/.exec(operands[2].text);
        if (!m) fail(operands[2].column, `'${operands[2].text}' is not a shift (<<0, <<8, <<16)`);
        shift = Number(m![1]);
      }
      return mk(op, { d: reg(operands[0]), imm: imm(operands[1]), n: shift });
    }
    case "branch":
      count(1);
      return mk(op, { x: label(operands[0]) });
    case "bitbranch":
      count(3);
      return mk(op, { a: reg(operands[0]), imm: imm(operands[1]), x: label(operands[2]) });
    case "link":
      count(2);
      return mk(op, { d: reg(operands[0]), x: label(operands[1]) });
    case "jumpreg":
      count(1);
      return mk(op, { a: reg(operands[0]) });
    case "lmbase":
      count(2);
      return mk(op, { n: lmIndex(operands[0]), a: reg(operands[1]) });
    case "lmload":
      count(4);
      return mk(op, { d: reg(operands[0]), n: lmIndex(operands[1]), imm: imm(operands[2]), c: imm(operands[3]) });
    case "lmstore":
      count(4);
      return mk(op, { n: lmIndex(operands[0]), imm: imm(operands[1]), a: reg(operands[2]), c: imm(operands[3]) });
    case "mem": {
      count(5, 6);
      let flags = p.suffix === "le" ? Flag.LE : 0;
      if (operands.length === 6) {
        if (operands[5].text !== "swap") fail(operands[5].column, `'${operands[5].text}' is not 'swap'`);
        flags |= Flag.SWAP;
      }
      return mk(op, { d: reg(operands[0]), a: reg(operands[1]), imm: imm(operands[2]), c: imm(operands[3]), x: signal(operands[4]), flags });
    }
    case "arb": {
      if (operands.length === 0) fail(p.column, "ctx_arb needs at least one signal");
      let mask = 0;
      for (const o of operands) mask |= 1 << signal(o);
      return mk(op, { x: mask });
    }
    case "fwcall": {
      const name = p.routine!;
      const routine = fwRoutineByName.get(name.text) ?? fail(name.column, `'${name.text}' is not a firmware routine (${[...fwRoutineByName.keys()].join(", ")})`);
      const expected = 1 + (routine.usesMap ? 1 : 0) + routine.args.length;
      count(expected);
      const d = reg(operands[0]);
      const mapIndex = routine.usesMap ? imm(operands[1]) : 0;
      const args = operands.slice(routine.usesMap ? 2 : 1).map(reg);
      return mk(op, { d, n: routine.id, imm: mapIndex, a: args[0] ?? NONE, b: args[1] ?? NONE, c: args[2] ?? NONE, x: args[3] ?? NONE });
    }
    case "csr": {
      count(2);
      const id = parseCsr(operands[1].text) ?? fail(operands[1].column, `'${operands[1].text}' is not a status register`);
      return mk(op, { d: reg(operands[0]), n: id });
    }
    case "handover":
    case "tohost": {
      // Optional last two operands: the scratch-window range (packed above the local-memory one).
      const ring = info.format === "handover" ? 1 : 0;
      count(ring + 3, ring + 5);
      const field = (lm: Operand, scratch: Operand | undefined): number => {
        const l = imm(lm);
        const s = scratch ? imm(scratch) : 0;
        if (l < 0 || l > CARRY_FIELD_MAX) fail(lm.column, `local-memory carry ${l} is outside 0..${CARRY_FIELD_MAX}`);
        if (s < 0 || s > CARRY_FIELD_MAX >> 1) fail(scratch!.column, `scratch carry ${s} is outside 0..${CARRY_FIELD_MAX >> 1}`);
        return packCarry(l, s);
      };
      const at = (k: number): Operand | undefined => operands[ring + k];
      return mk(op, { n: ring ? imm(operands[0]) : 0, imm: mask32(operands[ring]), x: field(operands[ring + 1], at(3)), c: field(operands[ring + 2], at(4)) });
    }
    case "verdict": {
      count(1);
      const o = operands[0];
      const code = parseVerdict(o.text);
      if (code !== undefined) return mk(op, { n: code });
      const r = parseRegister(o.text);
      return r !== undefined ? mk(op, { n: -1, a: r }) : fail(o.column, `'${o.text}' is neither an action (aborted, drop, pass, tx, redirect) nor a register`);
    }
  }
}

