import type { Insn } from "../ebpf/instruction.ts";
import { Class, INSN_BYTES, JmpOp, LDDW, PseudoCall, PseudoLd } from "../ebpf/opcode.ts";
import type { ExternRef, FunctionSpan, LineInfo } from "./bpf-object.ts";
import type { BtfExt } from "./btf-ext.ts";
import { calleeSlot, type CodeRelocation } from "./code-relocations.ts";
import { elfError } from "./errors.ts";
import { functionAt, type ProgramSource } from "./program-sources.ts";
import type { ElfSection } from "./section-table.ts";

// Builds the instruction stream libbpf would hand to BPF_PROG_LOAD for one
// entry function (bpf_object__relocate_calls + bpf_object__relocate_data):
// every subprogram it reaches is appended once, in the order a depth-first
// walk of its calls first meets it, call and function-address offsets are
// rewritten to the appended copies, and map / global-data loads get their
// map index.

// The kernel refuses longer programs even from root (BPF_COMPLEXITY_LIMIT_INSNS, kernel/bpf/syscall.c).
export const MAX_PROGRAM_SLOTS = 1_000_000;

export interface LinkedCode {
  readonly insns: readonly Insn[];
  readonly functions: readonly Omit<FunctionSpan, "global" | "signature">[];
  readonly externs: readonly ExternRef[];
  readonly lineInfo?: readonly LineInfo[];
}

export interface LinkInput {
  readonly fileName: string;
  readonly text?: ElfSection;
  readonly sources: readonly ProgramSource[];
  readonly relocations: ReadonlyMap<ProgramSource, readonly CodeRelocation[]>;
  readonly btfExt?: BtfExt;
}

const CALL = Class.JMP | JmpOp.CALL;

const isSubprogramCall = (insn: Insn): boolean =>
  insn.opcode === CALL && insn.src === PseudoCall.LOCAL && insn.dst === 0 && insn.off === 0;

interface Frame {
  readonly fn: ProgramSource;
  next: number; // the function's own slot to look at next
}

// The externs of each linked instruction array, for code that is handed the bare
// instructions (a Program) rather than the BpfProgram that lists them.
const externsByProgram = new WeakMap<readonly Insn[], readonly ExternRef[]>();

// The kfunc calls and __ksym loads of a program this loader linked (by pc), if it linked it.
export const linkedExterns = (insns: readonly Insn[]): readonly ExternRef[] | undefined => externsByProgram.get(insns);

export function linkProgram(entry: ProgramSource, input: LinkInput): LinkedCode {
  const out: Insn[] = [];
  const placed = new Map<ProgramSource, number>(); // function -> its first pc in `out`
  const order: ProgramSource[] = [];
  const relocsOf = (fn: ProgramSource): readonly CodeRelocation[] => input.relocations.get(fn) ?? [];
  const bySlot = new Map<ProgramSource, ReadonlyMap<number, CodeRelocation>>();
  const relocationAt = (fn: ProgramSource, slot: number): CodeRelocation | undefined => {
    let index = bySlot.get(fn);
    if (!index) {
      index = new Map(relocsOf(fn).map((r) => [r.slot, r]));
      bySlot.set(fn, index);
    }
    return index.get(slot);
  };
  const append = (fn: ProgramSource): void => {
    if (out.length + fn.insns.length > MAX_PROGRAM_SLOTS) {
      throw elfError(
        { file: input.fileName, section: entry.section.name },
        `program '${entry.name}' grows past ${MAX_PROGRAM_SLOTS} instructions with its subprograms, the kernel's limit`,
      );
    }
    placed.set(fn, out.length);
    order.push(fn);
    for (const [slot, insn] of fn.insns.entries()) {
      const marksFunction = insn.opcode === LDDW && relocationAt(fn, slot)?.kind === "func-addr";
      out.push(marksFunction ? { ...insn, src: PseudoLd.FUNC } : insn);
    }
  };

  append(entry);
  // An explicit stack instead of recursion: a crafted object may chain thousands of subprograms.
  const stack: Frame[] = [{ fn: entry, next: 0 }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    const { fn } = frame;
    if (frame.next >= fn.insns.length) {
      stack.pop();
      continue;
    }
    const slot = frame.next;
    const base = placed.get(fn) ?? 0;
    const insn = out[base + slot];
    const isFunctionAddress = insn.opcode === LDDW && insn.src === PseudoLd.FUNC;
    if (!isSubprogramCall(insn) && !isFunctionAddress) {
      frame.next++;
      continue;
    }
    const relocation = relocationAt(fn, slot);
    if (relocation?.kind === "kfunc") {
      frame.next++;
      continue;
    }
    const where = { file: input.fileName, section: fn.section.name, offset: fn.section.offset + (fn.firstSlot + slot) * INSN_BYTES };
    if (relocation && relocation.kind !== "call" && relocation.kind !== "func-addr") {
      throw elfError(where, `instruction ${slot} of '${fn.name}' is a bpf-to-bpf call or function address but its relocation is a ${relocation.kind} reference`);
    }
    // A call to a static function of the same section carries no relocation: imm is relative to the call.
    const targetSlot = relocation ? calleeSlot(relocation, insn.imm) : fn.firstSlot + slot + insn.imm + 1;
    const callee = input.text && functionAt(input.sources, input.text, targetSlot);
    if (!callee) {
      throw elfError(where, `instruction ${slot} of '${fn.name}' calls .text instruction ${targetSlot}, where no function starts or lies (subprograms must be in .text)`);
    }
    const calleeBase = placed.get(callee);
    if (calleeBase === undefined) {
      // Append the callee and relocate its own calls first; this instruction is revisited afterwards.
      append(callee);
      stack.push({ fn: callee, next: 0 });
      continue;
    }
    out[base + slot] = { ...insn, imm: calleeBase - (base + slot) - 1 };
    frame.next++;
  }

  const externs: ExternRef[] = [];
  for (const fn of order) {
    const base = placed.get(fn) ?? 0;
    for (const relocation of relocsOf(fn)) applyDataRelocation(out, base, relocation, externs);
  }
  const functions = order.map((fn) => ({ name: fn.name, startPc: placed.get(fn) ?? 0, slots: fn.insns.length }));
  const lineInfo = input.btfExt && lineInfoFor(order, placed, input.btfExt);
  if (externs.length > 0) externsByProgram.set(out, externs);
  return { insns: out, functions, externs, ...(lineInfo && lineInfo.length > 0 ? { lineInfo } : {}) };
}

function applyDataRelocation(out: Insn[], base: number, relocation: CodeRelocation, externs: ExternRef[]): void {
  const pc = base + relocation.slot;
  switch (relocation.kind) {
    case "map":
      out[pc] = { ...out[pc], src: PseudoLd.MAP_IDX, imm: relocation.mapIndex };
      return;
    case "data":
      out[pc + 1] = { ...out[pc + 1], imm: (out[pc].imm + relocation.symbolOffset) | 0 };
      out[pc] = { ...out[pc], src: PseudoLd.MAP_IDX_VALUE, imm: relocation.mapIndex };
      return;
    case "kfunc":
      out[pc] = { ...out[pc], src: PseudoCall.KFUNC };
      externs.push({ kind: "kfunc", name: relocation.name, pc });
      return;
    case "ksym":
      externs.push({ kind: "ksym", name: relocation.name, pc });
      return;
    case "call":
    case "func-addr":
      return;
    default: {
      const unreachable: never = relocation;
      throw new Error(`unhandled relocation ${String(unreachable)}`);
    }
  }
}

// Line info of each placed function, moved to its pc in the linked program.
function lineInfoFor(order: readonly ProgramSource[], placed: ReadonlyMap<ProgramSource, number>, ext: BtfExt): LineInfo[] {
  const lines: LineInfo[] = [];
  for (const fn of order) {
    const base = placed.get(fn) ?? 0;
    for (const section of ext.lineInfo) {
      if (section.sectionName !== fn.section.name) continue;
      for (const record of section.records) {
        const slot = record.insnOffsetBytes / INSN_BYTES;
        if (!Number.isInteger(slot) || slot < fn.firstSlot || slot >= fn.firstSlot + fn.insns.length) continue;
        const { fileName, line, column, sourceLine } = record;
        lines.push({ pc: base + slot - fn.firstSlot, fileName, line, column, sourceLine });
      }
    }
  }
  return lines.sort((a, b) => a.pc - b.pc);
}
