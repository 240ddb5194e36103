// verify(program, maps, options): the verifier's one entry point. Static
// checks of the layout and CFG first, then the exploration, then the
// combined stack depth; the result is plain data: the verdict, the kernel-
// style message and log, the statistics, and per instruction what later
// stages need (joined register state at entry, live registers, stack slots,
// reachability).
import { formatInstruction } from "../ebpf/disasm.ts";
import type { Program } from "../ebpf/instruction.ts";
import { HelperId } from "../helpers/prototypes.ts";
import { MapType, type MapDef } from "../maps/types.ts";
import { checkCfg, layoutProgram } from "./cfg.ts";
import type { ProgramLayout } from "./cfg.ts";
import { type Env, type VerifyOptions, resolveOptions } from "./env.ts";
import { explore } from "./explore.ts";
import { factTaint } from "./fact-taint.ts";
import type { ExploreOutcome } from "./explore.ts";
import type { RegFact, StackSlotFact } from "./facts.ts";
import { kernelInsnText } from "./kernel-text.ts";
import { liveList, liveRegisters } from "./liveness.ts";
import { BPF_MAX_VAR_OFF } from "./mem-access.ts";
import { Reject } from "./reject.ts";
import { STACK_BYTES } from "./state.ts";

export type { VerifyOptions } from "./env.ts";

const JIT_STACK_ALIGN_BYTES = 16;
export type { RegFact, ScalarRange, StackSlotFact } from "./facts.ts";

export interface VerifierError {
  // The instruction the kernel would name (the one being checked when the check failed).
  readonly pc: number;
  // The line of the kernel's log that gives the reason, e.g. "R0 !read_ok" (usually its last line).
  readonly message: string;
  // Every line the kernel logs for this failure (some checks log two).
  readonly lines: readonly string[];
  readonly errno: string;
  // The instruction in the kernel log's syntax and in LLVM syntax; empty when the failure has no instruction.
  readonly kernelText: string;
  readonly llvmText: string;
}

export interface InsnFacts {
  readonly pc: number;
  readonly llvmText: string;
  readonly reachable: boolean;
  // Registers that may be read at or after this instruction before being written.
  readonly liveRegs: readonly number[];
  // r0..r10 at entry, joined over every visit (all not_init when unreachable).
  readonly regs: readonly RegFact[];
  readonly stack: readonly StackSlotFact[];
}

export interface FunctionFacts {
  readonly startPc: number;
  readonly endPc: number;
  readonly stackDepthBytes: number;
}

export interface VerifierResult {
  readonly accepted: boolean;
  readonly error?: VerifierError;
  readonly processedInsns: number;
  readonly totalStates: number;
  readonly peakStates: number;
  readonly maxStatesPerInsn: number;
  // The log at the requested level, ending with the kernel's statistics line.
  readonly log: string;
  // One entry per instruction (the second slot of an lddw has none).
  readonly insns: readonly InsnFacts[];
  readonly functions: readonly FunctionFacts[];
}

export function verify(program: Program, maps: readonly MapDef[], options: VerifyOptions = {}): VerifierResult {
  const opts = resolveOptions(options);
  let layout: ProgramLayout;
  try {
    layout = layoutProgram(program);
    checkLdImm64(layout, maps);
    checkCfg(layout, opts.bpfCapable);
    if (!opts.btfFuncInfo) checkSubprogsWithoutBtf(layout);
  } catch (error) {
    if (!(error instanceof Reject)) throw error;
    return staticRejection(program, error, opts.logLevel);
  }
  let ids = 0;
  const env: Env = {
    forms: layout.forms,
    opcodes: program.map((slot) => slot.opcode),
    maps,
    functions: layout.functions,
    funcOf: layout.funcOf,
    opts,
    nextId: () => ++ids,
  };
  const liveIn = liveRegisters(layout.forms);
  const outcome = explore(env, liveIn);
  if (opts.collectFacts && outcome.impreciseJoins.length > 0) forgetTainted(layout, outcome);
  let error = outcome.error;
  if (error === undefined) {
    const tooDeep = combinedStackProblem(layout, outcome.stackDepthBytes);
    if (tooDeep !== undefined) error = { pc: 0, lines: [tooDeep], errno: "EACCES", reasonLine: 0 };
  }
  const stats = outcome.stats;
  const statsLine = `processed ${stats.processedInsns} insns (limit ${opts.insnLimit}) max_states_per_insn ${stats.maxStatesPerInsn} total_states ${stats.totalStates} peak_states ${stats.peakStates} mark_read 0`;
  const header = opts.logLevel === 2 ? liveRegsSection(layout, liveIn, maps, env.opcodes) : [];
  const logLines = [...header, ...outcome.log, ...(error !== undefined && outcome.error === undefined && opts.logLevel > 0 ? error.lines : []), statsLine];
  return {
    accepted: error === undefined,
    ...(error !== undefined ? { error: describeError(layout, maps, error) } : {}),
    processedInsns: stats.processedInsns,
    totalStates: stats.totalStates,
    peakStates: stats.peakStates,
    maxStatesPerInsn: stats.maxStatesPerInsn,
    log: `${logLines.join("\n")}\n`,
    insns: insnFacts(layout, liveIn, outcome),
    functions: layout.functions.map((f, i) => ({ ...f, stackDepthBytes: outcome.stackDepthBytes[i] })),
  };
}

function describeError(layout: ProgramLayout, maps: readonly MapDef[], e: NonNullable<ExploreOutcome["error"]>): VerifierError {
  const form = layout.forms[e.pc];
  return {
    pc: e.pc,
    message: e.lines[e.reasonLine],
    lines: e.lines,
    errno: e.errno,
    kernelText: form ? kernelInsnText(form, maps) : "",
    llvmText: form ? formatInstruction(form) : "",
  };
}

function staticRejection(program: Program, error: Reject, logLevel: number): VerifierResult {
  const lines = error.lines;
  return {
    accepted: false,
    error: { pc: error.pc ?? 0, message: lines[error.reasonLine], lines, errno: error.errno, kernelText: "", llvmText: "" },
    processedInsns: 0,
    totalStates: 0,
    peakStates: 0,
    maxStatesPerInsn: 0,
    log: `${[...(logLevel > 0 ? lines : []), `processed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0`].join("\n")}\n`,
    insns: [],
    functions: [{ startPc: 0, endPc: program.length, stackDepthBytes: 0 }],
  };
}

// resolve_pseudo_ldimm64: every map reference names a map; a direct value address needs a one-element array.
function checkLdImm64(layout: ProgramLayout, maps: readonly MapDef[]): void {
  layout.forms.forEach((form, pc) => {
    if (form?.kind !== "lddw" || form.pseudo === "imm64" || form.pseudo === "func") return;
    if (form.pseudo === "btfId") return;
    const map = maps[form.imm];
    if (map === undefined) throw new Reject([`fd ${form.imm} is not pointing to valid bpf_map`], "EBADF", pc);
    if (form.pseudo === "mapValue" || form.pseudo === "mapIdxValue") {
      const off = form.nextImm >>> 0;
      if (off >= BPF_MAX_VAR_OFF) throw new Reject([`direct value offset of ${off} is not allowed`], "EINVAL", pc);
      if (map.type !== MapType.ARRAY) throw new Reject(["no direct value access support for this map type"], "EINVAL", pc);
      if (map.maxEntries !== 1 || off >= map.valueSize) {
        throw new Reject([`invalid access to map value pointer, value_size=${map.valueSize} off=${off}`], "EINVAL", pc);
      }
    }
  });
}

// Without BTF func info the kernel refuses a tail call or legacy packet load inside a subprogram
// (kernel/bpf/verifier.c check_subprogs / check_btf_info).
function checkSubprogsWithoutBtf(layout: ProgramLayout): void {
  layout.forms.forEach((form, pc) => {
    if (layout.funcOf[pc] === 0 || form === undefined) return;
    if (form.kind === "callHelper" && form.helperId === HelperId.TAIL_CALL) throw new Reject(["tail_call is not allowed in subprogs without BTF"], "EINVAL", pc);
    if (form.kind === "ldLegacy") throw new Reject(["LD_ABS is not allowed in subprogs without BTF"], "EINVAL", pc);
  });
}

// check_max_stack_depth: along any chain of calls the frames' stacks fit in 512 bytes; each is rounded up
// to 16 bytes (round_up_stack_depth with the JIT, which x86 always uses).
function combinedStackProblem(layout: ProgramLayout, depths: readonly number[]): string | undefined {
  const rounded = depths.map((d) => Math.ceil(d / JIT_STACK_ALIGN_BYTES) * JIT_STACK_ALIGN_BYTES);
  const callees = layout.functions.map((f) => {
    const out: number[] = [];
    for (let pc = f.startPc; pc < f.endPc; pc++) {
      const form = layout.forms[pc];
      if (form?.kind === "callLocal") out.push(layout.funcOf[pc + 1 + form.offset]);
    }
    return out;
  });
  let problem: string | undefined;
  const walk = (fn: number, frames: number, total: number, onPath: Set<number>): void => {
    const depth = total + rounded[fn];
    if (depth > STACK_BYTES && problem === undefined) problem = `combined stack size of ${frames} calls is ${depth}. Too large`;
    if (onPath.has(fn) || problem !== undefined) return;
    onPath.add(fn);
    for (const c of callees[fn]) walk(c, frames + 1, depth, onPath);
    onPath.delete(fn);
  };
  walk(0, 1, 0, new Set());
  return problem;
}

// The "Live regs before insn" table of a level-2 log.
function liveRegsSection(layout: ProgramLayout, liveIn: Uint16Array, maps: readonly MapDef[], opcodes: readonly number[]): string[] {
  const lines: string[] = [];
  layout.functions.forEach((f, i) => lines.push(`func#${i} @${f.startPc}`));
  lines.push("Live regs before insn:");
  layout.forms.forEach((form, pc) => {
    if (form === undefined) return;
    const mask = Array.from({ length: 10 }, (_, r) => ((liveIn[pc] >> r) & 1 ? `${r}` : ".")).join("");
    lines.push(`${String(pc).padStart(7)}: ${mask} (${opcodes[pc].toString(16).padStart(2, "0")}) ${kernelInsnText(form, maps)}`);
  });
  return lines;
}

// Facts a path pruned on imprecise scalars may contradict become unknown (fact-taint.ts).
function forgetTainted(layout: ProgramLayout, outcome: ExploreOutcome): void {
  const taint = factTaint(layout.forms, layout.functions, outcome.impreciseJoins);
  outcome.facts.forEach((acc, pc) => {
    if (acc !== undefined && taint.reached[pc] === 1) acc.forget(taint.regsAt[pc], taint.stackFacts);
  });
}

function insnFacts(layout: ProgramLayout, liveIn: Uint16Array, outcome: ExploreOutcome): InsnFacts[] {
  const out: InsnFacts[] = [];
  layout.forms.forEach((form, pc) => {
    if (form === undefined) return;
    const acc = outcome.facts[pc];
    out.push({
      pc,
      llvmText: formatInstruction(form),
      reachable: outcome.visited[pc] === 1,
      liveRegs: liveList(liveIn[pc]),
      regs: acc ? acc.regFacts() : Array.from({ length: 11 }, () => ({ kind: "not_init" as const })),
      stack: acc ? acc.stackFacts() : [],
    });
  });
  return out;
}
