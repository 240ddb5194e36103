// Microcode to text, in exactly the syntax asm.ts reads back: assembling the
// output of `disassemble` gives the same instructions.
import { Flag, carryLm, carryScratch, opInfo } from "./opcode.ts";
import type { MicroInsn, Microprogram } from "./instruction.ts";
import { IMM, NONE, registerName } from "./register.ts";
import { fwRoutines } from "./fwcall.ts";
import { csrNames } from "./csr.ts";
import { verdictNames } from "./verdict.ts";

const hex32 = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, "0")}`;

// A handover's or to_host's carried ranges: local memory, then the scratch window when it carries any.
function carryText(i: MicroInsn): string {
  const lm = `#${carryLm(i.x)}, #${carryLm(i.c)}`;
  return carryScratch(i.c) === 0 && carryScratch(i.x) === 0 ? lm : `${lm}, #${carryScratch(i.x)}, #${carryScratch(i.c)}`;
}

function source(operand: number, imm: number): string {
  return operand === IMM ? `#${imm}` : registerName(operand);
}

function signalList(mask: number): string {
  const names: string[] = [];
  for (let s = 0; s < 16; s++) if ((mask >>> s) & 1) names.push(`s${s}`);
  return names.join(", ");
}

// One instruction as text; `labelOf` names branch targets (default: L<pc>).
export function formatInsn(i: MicroInsn, labelOf: (pc: number) => string = (pc) => `L${pc}`): string {
  const info = opInfo[i.op];
  const m = info.mnemonic;
  switch (info.format) {
    case "none":
      return m;
    case "alu3":
      return `${m} ${registerName(i.d)}, ${source(i.a, i.imm)}, ${source(i.b, i.imm)}`;
    case "alu1":
      return `${m} ${registerName(i.d)}, ${source(i.b, i.imm)}`;
    case "shift":
      return `${m} ${registerName(i.d)}, ${registerName(i.a)}, ${i.b === NONE ? `#${i.imm}` : registerName(i.b)}`;
    case "dblshift":
      return `${m} ${registerName(i.d)}, ${registerName(i.a)}, ${registerName(i.b)}, ${i.c === NONE ? `#${i.imm}` : registerName(i.c)}`;
    case "byteext":
      return `${m} ${registerName(i.d)}, ${registerName(i.a)}, #${i.imm}`;
    case "ldfield":
      return `${m} ${registerName(i.d)}, #${i.n}, ${registerName(i.b)}, #${i.imm}`;
    case "mulstart":
      return `${m} ${registerName(i.a)}, ${registerName(i.b)}`;
    case "dest":
      return `${m} ${registerName(i.d)}`;
    case "immed":
      return i.n === 0 ? `${m} ${registerName(i.d)}, #0x${i.imm.toString(16)}` : `${m} ${registerName(i.d)}, #0x${i.imm.toString(16)}, <<${i.n}`;
    case "branch":
      return `${m} ${labelOf(i.x)}`;
    case "bitbranch":
      return `${m} ${registerName(i.a)}, #${i.imm}, ${labelOf(i.x)}`;
    case "link":
      return `${m} ${registerName(i.d)}, ${labelOf(i.x)}`;
    case "jumpreg":
      return `${m} ${registerName(i.a)}`;
    case "lmbase":
      return `${m} l${i.n}, ${registerName(i.a)}`;
    case "lmload":
      return `${m} ${registerName(i.d)}, l${i.n}, #${i.imm}, #${i.c}`;
    case "lmstore":
      return `${m} l${i.n}, #${i.imm}, ${registerName(i.a)}, #${i.c}`;
    case "mem": {
      const suffix = i.flags & Flag.LE ? ".le" : "";
      const swap = i.flags & Flag.SWAP ? ", swap" : "";
      return `${m}${suffix} ${registerName(i.d)}, ${registerName(i.a)}, #${i.imm}, #${i.c}, s${i.x}${swap}`;
    }
    case "arb":
      return `${m} ${signalList(i.x)}`;
    case "fwcall": {
      const routine = fwRoutines[i.n];
      const parts = [registerName(i.d)];
      if (routine.usesMap) parts.push(`#${i.imm}`);
      [i.a, i.b, i.c, i.x].slice(0, routine.args.length).forEach((r) => parts.push(registerName(r)));
      return `${m} ${routine.name} ${parts.join(", ")}`;
    }
    case "csr":
      return `${m} ${registerName(i.d)}, ${csrNames[i.n]}`;
    case "handover":
      return `${m} #${i.n}, #${hex32(i.imm)}, ${carryText(i)}`;
    case "tohost":
      return `${m} #${hex32(i.imm)}, ${carryText(i)}`;
    case "verdict":
      return i.n === -1 ? `${m} ${registerName(i.a)}` : `${m} ${verdictNames[i.n]}`;
  }
}

// The whole program, one instruction per line, with a label line before every branch target.
export function disassemble(program: Microprogram): string {
  const names = new Map<number, string>();
  for (const [name, pc] of program.labels) if (!names.has(pc)) names.set(pc, name);
  const used = new Set(names.values());
  for (const i of program.insns) {
    const f = opInfo[i.op].format;
    if ((f === "branch" || f === "bitbranch" || f === "link") && !names.has(i.x)) {
      let name = `L${i.x}`;
      while (used.has(name)) name = `${name}_`;
      used.add(name);
      names.set(i.x, name);
    }
  }
  const lines: string[] = [];
  program.insns.forEach((insn, pc) => {
    const label = names.get(pc);
    if (label !== undefined) lines.push(`${label}:`);
    lines.push(`    ${formatInsn(insn, (t) => names.get(t) ?? `L${t}`)}`);
  });
  return `${lines.join("\n")}\n`;
}
