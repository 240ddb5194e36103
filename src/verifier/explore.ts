// The exploration (kernel/bpf/verifier.c do_check): walk every path through
// the program depth-first, one instruction at a time, with a stack of pending
// branches (the other side of each conditional jump). At prune points the
// current state is compared with states already seen there: one whose
// exploration finished and which covers the current state makes the rest of
// this path redundant; one still in progress on this very path and equal to
// it means the loop can never end. Loops are thereby unrolled until they
// leave, bounded by the 1,000,000-instruction budget.
import type { Instruction } from "../ebpf/describe.ts";
import { branchTarget } from "../ebpf/describe.ts";
import { FRAME_POINTER } from "../ebpf/opcode.ts";
import { checkWritable, executeAlu, readReg } from "./alu-check.ts";
import { conditionalJump } from "./branch.ts";
import { COMPLEXITY_LIMIT_JMP_SEQ, MAX_CALL_FRAMES } from "./env.ts";
import type { Env } from "./env.ts";
import { InsnFactAccumulator } from "./facts.ts";
import { type CallbackRequest, checkHelperCall, helperMemAccess, takesCallback } from "./helper-call.ts";
import { HelperId, helperPrototype } from "../helpers/prototypes.ts";
import type { GlobalFunction } from "./env.ts";
import { VerifierUnsupportedError } from "./unsupported.ts";
import * as S from "./scalar.ts";
import { alignState, kernelInsnText, regText } from "./kernel-text.ts";
import { type Access, checkMemAccess } from "./mem-access.ts";
import { useDef } from "./liveness.ts";
import { lastMismatch, regCovers, statesEqual } from "./prune.ts";
import { type SlotSet, addSlot, hasSlot, newSlotSet } from "./slot-set.ts";
import { Demand, type HistoryEntry, type LinkedGroup, backtrackEntry, demandOfPrecise, markAllInState, markInState } from "./precision.ts";
import { NOT_INIT, constReg, isKnownZero, ptrReg, typeName, unknownScalar } from "./reg-state.ts";
import { Reject, reject } from "./reject.ts";
import { SLOT_BYTES, STACK_BYTES, STACK_SLOTS, StackByte, byteIndex, cloneState, curFrame, emptyState, newFrame, ownStack, stateParts, stateText } from "./state.ts";
import type { Frame, VState } from "./state.ts";
import type { RegState } from "./reg-state.ts";
import { checkKfuncCall } from "./kfunc-call.ts";
import { checkCallWhileLocked, checkExitWhileLocked, checkGlobalCallWhileLocked } from "./spin-lock.ts";

export { MAX_CALL_FRAMES };
// kernel/bpf/verifier.c is_state_visited: a state is evicted after more than n + n * hits misses (n = 3).
const MISS_FACTOR = 3;
// The calls of a callback during which scalars already precise are not widened (ours, not the kernel's, which
// follows them for every call: beyond a few calls that costs more states than this verifier's pruning can
// afford, realworld loops.o's TLV walk 583,381 instructions in the kernel).
const FOLLOWED_CALLBACK_CALLS = 8;
// Number.MAX_SAFE_INTEGER: integers up to it are doubles exactly.
const MAX_EXACT_DOUBLE = BigInt(Number.MAX_SAFE_INTEGER);

interface Checkpoint {
  readonly state: VState;
  readonly pc: number;
  readonly parent: Checkpoint | undefined;
  // The instructions from the parent checkpoint to this one, newest first.
  readonly history: HistoryEntry | undefined;
  // Stack slots some path after this state read before writing them; slots written whole between the parent
  // checkpoint and this one (SlotSet layout).
  readonly slotReads: SlotSet;
  readonly segmentWrites: SlotSet;
  branches: number;
  hits: number;
  misses: number;
  // A register of the current frame (live here) that did not cover a later state's, and that register of this
  // state then: a state whose register it does not cover cannot be covered by this one (prune.ts regCovers).
  // Read before the state itself, it turns most failing comparisons away without walking the state.
  guardRegno: number;
  guardReg: RegState | undefined;
  // When the guard register is a scalar compared by value whose known bits are a constant below 2^53 (without a
  // delta): that constant, which a covered register's bits must equal (tnum subset); NaN otherwise. Kept in the checkpoint itself, so the
  // usual rejection reads nothing of the old state.
  guardConst: number;
  // state.frames.length (fixed for a checkpoint).
  readonly frameCount: number;
}

interface Path {
  state: VState;
  pc: number;
  prevPc: number;
  parent: Checkpoint | undefined;
  // The instructions since the parent checkpoint, newest first.
  history: HistoryEntry | undefined;
  // Stack slots this path wrote whole since the parent checkpoint.
  writes: SlotSet;
}

export interface ExploreStats {
  readonly processedInsns: number;
  readonly totalStates: number;
  readonly peakStates: number;
  readonly maxStatesPerInsn: number;
}

// A prune that relied on imprecise scalars: at `pc` the pruned state's registers in `regs` (per frame) and
// perhaps its stack held values the explored state's facts do not include (fact-taint.ts widens them).
export interface ImpreciseJoin {
  readonly pc: number;
  readonly callsites: readonly number[];
  readonly callbackFrames: readonly boolean[];
  readonly regs: readonly number[];
  // A stack slot a later load reads may hold a value old's did not; any slot may hold other bytes than old's.
  readonly stack: boolean;
  readonly stackFacts: boolean;
}

export interface ExploreOutcome {
  readonly stats: ExploreStats;
  readonly impreciseJoins: readonly ImpreciseJoin[];
  readonly error?: { readonly pc: number; readonly lines: readonly string[]; readonly errno: string; readonly reasonLine: number };
  readonly visited: Uint8Array;
  readonly facts: (InsnFactAccumulator | undefined)[];
  // Deepest stack use of each function, in bytes.
  readonly stackDepthBytes: number[];
  readonly log: string[];
}

// A log line, formatted only if the log is shown (most paths' lines never are).
type LogLine = string | (() => string);

// What an instruction's line needs of the frame it ran in: its registers and, for stores and calls, its stack.
interface FrameSnapshot {
  readonly frameNo: number;
  readonly regs: readonly RegState[];
  readonly stack?: Uint8Array;
  readonly spills?: readonly (RegState | undefined)[];
}

// Level 1 keeps at most this many lines of the current path (the kernel's log buffer is finite too).
const PATH_LOG_LINES = 4000;

export function explore(env: Env, liveIn: Uint16Array): ExploreOutcome {
  return new Explorer(env, liveIn).run();
}

const REG_MASK_ALL = 0x7ff;

class Explorer {
  private readonly pending: Path[] = [];
  private readonly checkpoints: (Checkpoint[] | undefined)[];
  private readonly prunePoints: Uint8Array;
  // Helper calls that take a callback (bpf_loop): always checkpointed, and covered by states still being explored.
  private readonly callbackSites: number[];
  private readonly visited: Uint8Array;
  private readonly facts: (InsnFactAccumulator | undefined)[];
  private readonly stackDepth: number[];
  // Global functions (by start pc) a verified call reached, and those verified since (do_check_subprogs).
  private readonly calledGlobals = new Set<number>();
  private readonly verifiedGlobals = new Set<number>();
  private processed = 0;
  private jumps = 0;
  private prevProcessed = 0;
  private prevJumps = 0;
  private totalStates = 0;
  private liveStates = 0;
  private peakStates = 0;
  private maxStatesPerInsn = 0;
  // Level 2 keeps everything; level 1 keeps only the current path, shown if it fails.
  private log: LogLine[] = [];
  // The current path was just taken from the pending stack (its first instruction logs where it came from).
  private justPopped = false;
  private readonly fullLog: LogLine[] = [];
  private readonly env: Env;
  // The path being stepped, for the precision demands its checks raise.
  private current: Path | undefined;
  private readonly impreciseJoins: ImpreciseJoin[] = [];
  // CAP_BPF: scalars are precise only on demand; without it the kernel keeps every scalar precise.
  private readonly tracksPrecision: boolean;
  // is_state_visited's live register mask per frame of the state it compares (rewritten on every call).
  private readonly liveMasks = new Int32Array(MAX_CALL_FRAMES);
  // The demand of one check's precision walk (demandPrecise never nests).
  private readonly scratchDemand = new Demand();

  constructor(
    env: Env,
    private readonly liveIn: Uint16Array,
  ) {
    this.env = {
      ...env,
      precision: { reg: (regno) => this.demandReg(regno), slot: (frame, slot) => this.demandSlot(frame, slot) },
      stackLiveness: { read: (frame, low, high) => this.stackRead(frame, low, high), wroteSlot: (frame, off) => this.stackWrote(frame, off) },
    };
    this.tracksPrecision = env.opts.bpfCapable;
    const n = env.forms.length;
    this.checkpoints = new Array(n).fill(undefined);
    this.visited = new Uint8Array(n);
    this.facts = new Array(n).fill(undefined);
    this.stackDepth = env.functions.map(() => 0);
    this.prunePoints = markPrunePoints(env.forms);
    this.callbackSites = env.forms.map((form) => (form?.kind === "callHelper" && takesCallback(form.helperId) ? 1 : 0));
    this.callbackSites.forEach((site, pc) => {
      if (site) this.prunePoints[pc] = 1;
    });
  }

  private failedPc = 0;

  // The program from its first instruction, then (as kernels since 6.8 do) every global function a call
  // reached, each from its prototype, until no new one is reached.
  run(): ExploreOutcome {
    const initial = emptyState(newFrame(0, -1, 0));
    curFrame(initial).regs[1] = ptrReg("ctx");
    try {
      this.walk(initial, 0);
      this.verifyCalledGlobals();
    } catch (error) {
      if (!(error instanceof Reject)) throw error;
      const pc = error.pc ?? this.failedPc;
      for (const line of error.lines) this.trace(line);
      return this.outcome({ pc, lines: error.lines, errno: error.errno, reasonLine: error.reasonLine });
    }
    return this.outcome(undefined);
  }

  private walk(initial: VState, startPc: number): void {
    let path: Path | undefined = { state: initial, pc: startPc, prevPc: -1, parent: undefined, history: undefined, writes: newSlotSet() };
    this.trace(`${startPc}: ${stateText(initial)}`);
    while (path !== undefined) {
      this.failedPc = path.pc;
      this.current = path;
      const next = this.step(path);
      if (next === "done") {
        this.finishPath(path);
        path = this.popPath();
      }
    }
  }

  private verifyCalledGlobals(): void {
    const { env } = this;
    for (let found = true; found; ) {
      found = false;
      env.functions.forEach((fn, index) => {
        const global = env.opts.globalFunctions.get(fn.startPc);
        if (global === undefined || !this.calledGlobals.has(fn.startPc) || this.verifiedGlobals.has(fn.startPc)) return;
        this.trace(`Validating ${global.name}() func#${index}...`);
        // free_states: checkpoints of another function's walk never apply here.
        this.checkpoints.fill(undefined);
        this.walk(this.globalEntryState(global, index), fn.startPc);
        this.verifiedGlobals.add(fn.startPc);
        found = true;
      });
    }
  }

  // btf_prepare_func_args / do_check_common for a global subprogram: each argument register as its prototype says.
  private globalEntryState(global: GlobalFunction, funcIndex: number): VState {
    const state = emptyState(newFrame(0, -1, funcIndex));
    const regs = curFrame(state).regs;
    (global.signature?.args ?? []).forEach((arg, i) => {
      switch (arg.kind) {
        case "scalar":
          regs[i + 1] = unknownScalar;
          return;
        case "ctx":
          regs[i + 1] = ptrReg("ctx");
          return;
        case "mem":
          regs[i + 1] = ptrReg("mem", { maybeNull: true, id: this.env.nextId(), memSize: arg.sizeBytes });
          return;
        case "unsupported":
          return;
      }
    });
    return state;
  }

  private outcome(error: ExploreOutcome["error"]): ExploreOutcome {
    const level = this.env.opts.logLevel;
    const lines = level === 2 ? this.fullLog : level === 1 && error !== undefined ? this.log : [];
    const log = lines.map((line) => (typeof line === "string" ? line : line()));
    return {
      stats: { processedInsns: this.processed, totalStates: this.totalStates, peakStates: this.peakStates, maxStatesPerInsn: this.maxStatesPerInsn },
      impreciseJoins: this.impreciseJoins,
      ...(error !== undefined ? { error } : {}),
      visited: this.visited,
      facts: this.facts,
      stackDepthBytes: this.stackDepth,
      log,
    };
  }

  private trace(line: LogLine): void {
    if (this.env.opts.logLevel === 0) return;
    this.log.push(line);
    if (this.log.length > PATH_LOG_LINES) this.log.splice(0, PATH_LOG_LINES / 2, "(earlier lines of this path omitted)");
    if (this.env.opts.logLevel === 2) this.fullLog.push(line);
  }

  private popPath(): Path | undefined {
    const next = this.pending.pop();
    if (next === undefined) return undefined;
    this.log = [];
    this.justPopped = true;
    return next;
  }

  private pushPath(path: Path): void {
    if (path.parent) path.parent.branches++;
    this.pending.push(path);
    if (this.pending.length > COMPLEXITY_LIMIT_JMP_SEQ) reject("E2BIG", `The sequence of ${this.pending.length} jumps is too complex.`);
  }

  // update_branch_counts: a finished path lets its checkpoints complete.
  private finishPath(path: Path): void {
    for (let cp = path.parent; cp !== undefined; cp = cp.parent) {
      cp.branches--;
      if (cp.branches > 0) break;
    }
  }

  // One instruction of `path`, advancing it in place; "done" when the path ends (exit of main or pruned).
  private step(path: Path): "done" | "continue" {
    const { env } = this;
    const pc = path.pc;
    // This verifier still prunes less than the kernel in places (docs/verifier.md, Deviations), so it can run out
    // of budget where the kernel does not: no verdict then (the kernel's would be "BPF program is too large.
    // Processed N insn" only if it ran out too).
    if (++this.processed > env.opts.insnLimit) {
      throw new VerifierUnsupportedError(pc, `exploring the program took more than the kernel's ${env.opts.insnLimit} instructions (this verifier prunes fewer states than the kernel in places, so the kernel may accept it)`, env.opts.programName);
    }
    const popped = this.justPopped;
    this.justPopped = false;
    if (this.prunePoints[pc] && this.isStateVisited(path)) {
      // As the kernel logs it: a path pruned at once is announced with where it came from.
      if (popped) this.trace("");
      this.trace(popped ? `from ${path.prevPc} to ${pc}: safe` : `${pc}: safe`);
      return "done";
    }
    if (popped && this.env.opts.logLevel > 0) {
      const shown = cloneState(path.state);
      const from = path.prevPc;
      this.trace("");
      this.trace(() => `from ${from} to ${pc}: ${stateText(shown)}`);
      this.trace(() => `${pc}: ${stateText(shown)}`);
    }
    const form = env.forms[pc]!;
    const state = path.state;
    const frame = curFrame(state);
    this.visited[pc] = 1;
    const entry = this.record(path, form);
    if (env.opts.collectFacts) (this.facts[pc] ??= new InsnFactAccumulator()).add(frame);
    path.prevPc = pc;
    const next = env.opts.logLevel > 0 ? this.executeLogged(path, form, frame) : this.execute(path, form);
    if (entry.stack !== undefined && form.kind !== "load") entry.stack = { ...entry.stack, spill: this.slotIsSpill(path.state, entry.stack.frame, entry.stack.slot) };
    return next === "exit" ? "done" : "continue";
  }

  // execute, with the instruction's log line and what it changed (kept out of step: closures cost on every instruction).
  private executeLogged(path: Path, form: Instruction, frame: Frame): "exit" | "continue" {
    const { env } = this;
    const pc = path.pc;
    const touchesStack = form.kind === "storeReg" || form.kind === "storeImm" || form.kind === "atomic" || form.kind === "callHelper";
    const before = snapshot(frame, touchesStack);
    const text = (): string => `${pc}: (${opcodeHex(this.env, pc)}) ${kernelInsnText(form, env.maps)}`;
    this.trace(text);
    const next = this.execute(path, form);
    const after = curFrame(path.state);
    if (next !== "exit" && after.frameNo === before.frameNo) {
      const afterSnap = snapshot(after, touchesStack);
      this.replaceLastTrace(() => {
        const { use, def } = useDef(form);
        const changed = scratchedParts(use | def, before, afterSnap);
        return changed === "" ? text() : `${alignState(text())} ${changed}`;
      });
    }
    return next;
  }

  private replaceLastTrace(line: LogLine): void {
    this.log[this.log.length - 1] = line;
    if (this.env.opts.logLevel === 2) this.fullLog[this.fullLog.length - 1] = line;
  }

  private execute(path: Path, form: Instruction): "exit" | "continue" {
    const { env } = this;
    const state = path.state;
    const frame = curFrame(state);
    const pc = path.pc;
    switch (form.kind) {
      case "alu":
      case "neg":
      case "movsx":
      case "endian":
        executeAlu(env, frame, form);
        path.pc = pc + 1;
        return "continue";
      case "lddw":
        this.loadImm64(frame.regs, form, pc);
        path.pc = pc + 2;
        return "continue";
      case "load": {
        readReg(frame, form.src);
        checkWritable(form.dst);
        const loaded = checkMemAccess(
          { env, state, valueRegno: -1 },
          { regno: form.src, off: form.off, size: form.sizeBytes, kind: "read", value: { kind: "unknown" }, signedLoad: form.signed },
        );
        curFrame(state).regs[form.dst] = loaded;
        path.pc = pc + 1;
        return "continue";
      }
      case "storeReg": {
        const value = readReg(frame, form.src);
        readReg(frame, form.dst);
        checkMemAccess({ env, state, valueRegno: form.src }, { regno: form.dst, off: form.off, size: form.sizeBytes, kind: "write", value: { kind: "reg", reg: value } });
        path.pc = pc + 1;
        return "continue";
      }
      case "storeImm": {
        readReg(frame, form.dst);
        checkMemAccess({ env, state, valueRegno: -1 }, { regno: form.dst, off: form.off, size: form.sizeBytes, kind: "write", value: { kind: "imm", imm: form.imm } });
        path.pc = pc + 1;
        return "continue";
      }
      case "atomic":
        this.atomic(state, form);
        path.pc = pc + 1;
        return "continue";
      case "ldLegacy":
        return reject("EINVAL", "BPF_LD_[ABS|IND] instructions not allowed for this program type");
      case "ja":
        this.jumps++;
        path.pc = branchTarget(form, pc)!;
        return "continue";
      case "jcond": {
        this.jumps++;
        const { fallthrough, taken } = conditionalJump(env, state, form);
        const target = branchTarget(form, pc)!;
        if (fallthrough !== undefined && taken !== undefined) {
          this.pushPath({ state: taken, pc: target, prevPc: pc, parent: path.parent, history: path.history, writes: path.writes.slice() });
          path.state = fallthrough;
          path.pc = pc + 1;
        } else if (taken !== undefined) {
          path.state = taken;
          path.pc = target;
        } else if (fallthrough !== undefined) {
          path.state = fallthrough;
          path.pc = pc + 1;
        } else {
          // Neither way is possible: the state itself was impossible (it came from a dead branch), which the
          // operands' values showed.
          this.demandOperands(form);
          return "exit";
        }
        return "continue";
      }
      case "callHelper": {
        this.jumps++;
        const beforeCall = this.callbackSites[pc] ? cloneState(state) : undefined;
        checkCallWhileLocked(state, form.helperId === HelperId.SPIN_UNLOCK);
        // check_helper_call: how many times bpf_loop's callback is explored depends on r1, which is therefore precise.
        if (beforeCall !== undefined && form.helperId === HelperId.LOOP) this.demandReg(1);
        const callback = checkHelperCall(env, state, pc, form.helperId);
        if (callback !== undefined && beforeCall !== undefined) this.scheduleCallback(path, beforeCall, callback);
        path.pc = pc + 1;
        return "continue";
      }
      case "callLocal":
        this.jumps++;
        this.callLocal(path, branchTarget(form, pc)!);
        return "continue";
      case "callKfunc":
        this.jumps++;
        checkCallWhileLocked(state, false);
        checkKfuncCall(env, state, pc, form.btfId);
        path.pc = pc + 1;
        return "continue";
      case "callx":
        return reject("EINVAL", "BPF_CALL uses reserved fields");
      case "exit":
        this.jumps++;
        return this.exit(path);
    }
  }

  private loadImm64(regs: VState["frames"][number]["regs"], form: Extract<Instruction, { kind: "lddw" }>, pc: number): void {
    checkWritable(form.dst);
    switch (form.pseudo) {
      case "imm64":
        regs[form.dst] = constReg((BigInt(form.nextImm >>> 0) << 32n) | BigInt(form.imm >>> 0));
        return;
      case "mapIdx":
      case "mapFd":
        regs[form.dst] = ptrReg("map_ptr", { map: this.env.maps[form.imm] });
        return;
      case "mapIdxValue":
      case "mapValue":
        regs[form.dst] = ptrReg("map_value", { map: this.env.maps[form.imm], off: form.nextImm >>> 0 });
        return;
      case "func":
        // check_ld_imm: a function address needs BTF func info (the callback must be a static function).
        if (!this.env.opts.btfFuncInfo) reject("EINVAL", "missing btf func_info");
        regs[form.dst] = ptrReg("func", { funcPc: branchTarget(form, pc)! });
        return;
      case "btfId":
        throw new VerifierUnsupportedError(pc, "a __ksym reference needs the kernel's BTF, which this verifier does not read", this.env.opts.programName);
    }
  }

  private atomic(state: VState, form: Extract<Instruction, { kind: "atomic" }>): void {
    const { env } = this;
    const frame = curFrame(state);
    readReg(frame, form.src);
    const dst = readReg(frame, form.dst);
    if (form.op === "cmpxchg") {
      const r0 = readReg(frame, 0);
      if (r0.kind === "ptr" && !env.opts.allowPtrLeaks) reject("EACCES", "R0 leaks addr into mem");
    }
    const src = frame.regs[form.src];
    if (src.kind === "ptr" && !env.opts.allowPtrLeaks) reject("EACCES", `R${form.src} leaks addr into mem`);
    if (dst.kind === "ptr" && (dst.type === "ctx" || dst.type === "pkt" || dst.type === "pkt_meta")) {
      reject("EACCES", `BPF_ATOMIC stores into R${form.dst} ${typeName(dst)} is not allowed`);
    }
    const loadReg = form.op === "cmpxchg" ? 0 : form.fetch ? form.src : -1;
    if (loadReg >= 0) checkWritable(loadReg);
    const access: Access = { regno: form.dst, off: form.off, size: form.sizeBytes, kind: "read", value: { kind: "unknown" }, wantValue: false };
    checkMemAccess({ env, state, valueRegno: -1 }, access);
    let loaded = undefined;
    if (loadReg >= 0) loaded = checkMemAccess({ env, state, valueRegno: -1 }, { ...access, wantValue: true });
    checkMemAccess({ env, state, valueRegno: -1 }, { ...access, kind: "write" });
    if (loaded !== undefined) curFrame(state).regs[loadReg] = loaded;
  }

  // push_callback_call: besides going on after the helper (the callback called zero times), explore one call of
  // the callback from the state before the helper; its exit comes back to the helper call, which schedules the next.
  // bpf_loop's callback is called at most r1 times: once that many calls are explored on a path, no more is.
  private scheduleCallback(path: Path, beforeCall: VState, callback: CallbackRequest): void {
    const caller = curFrame(beforeCall);
    const goOn = curFrame(path.state);
    if (callback.helperId === HelperId.LOOP && !(BigInt(caller.callbackDepth) < maxValue(caller.regs[1]))) {
      goOn.callbackDepth = 0;
      return;
    }
    if (beforeCall.frames.length >= MAX_CALL_FRAMES) reject("E2BIG", `the call stack of ${beforeCall.frames.length + 1} frames is too deep`);
    caller.callbackDepth++;
    goOn.callbackDepth = 0;
    beforeCall.callbackUnrollDepth++;
    const callee = newFrame(beforeCall.frames.length, path.pc, this.env.funcOf[callback.funcPc]);
    callee.inCallback = true;
    if (callback.map !== undefined) {
      // set_map_elem_callback_state: (map, key, value, callback_ctx).
      callee.regs[1] = ptrReg("map_ptr", { map: callback.map });
      callee.regs[2] = ptrReg("map_key", { map: callback.map });
      callee.regs[3] = ptrReg("map_value", { map: callback.map });
      callee.regs[4] = caller.regs[3];
    } else {
      // set_loop_callback_state: (index, callback_ctx).
      callee.regs[1] = unknownScalar;
      callee.regs[2] = caller.regs[3];
    }
    beforeCall.frames.push(callee);
    this.pushPath({ state: beforeCall, pc: callback.funcPc, prevPc: path.pc, parent: path.parent, history: path.history, writes: path.writes.slice() });
  }

  // check_func_call: a new frame with the arguments; the caller's r0-r5 are gone until the callee returns.
  private callLocal(path: Path, target: number): void {
    const global = this.env.opts.globalFunctions.get(target);
    if (global !== undefined) return this.callGlobal(path, global, target);
    const state = path.state;
    if (state.frames.length >= MAX_CALL_FRAMES) reject("E2BIG", `the call stack of ${state.frames.length + 1} frames is too deep`);
    const caller = curFrame(state);
    const callee = newFrame(state.frames.length, path.pc, this.env.funcOf[target]);
    for (let r = 1; r <= 5; r++) callee.regs[r] = caller.regs[r];
    for (let r = 0; r <= 5; r++) caller.regs[r] = NOT_INIT;
    state.frames.push(callee);
    if (this.env.opts.logLevel > 0) {
      const shown = cloneState(state);
      this.trace(() => `caller:\n ${stateText(shown, shown.frames.length - 2)}\ncallee:\n ${stateText(shown)}`);
    }
    path.pc = target;
  }

  // A call of a global function: the arguments are checked against its prototype (btf_check_subprog_call),
  // the function is verified later on its own, and r0 is an unknown scalar.
  private callGlobal(path: Path, global: GlobalFunction, target: number): void {
    const { env } = this;
    const state = path.state;
    checkGlobalCallWhileLocked(state);
    const caller = curFrame(state);
    const index = env.funcOf[target];
    const signature = global.signature;
    if (signature === undefined || signature.unsupported !== undefined) {
      throw new VerifierUnsupportedError(path.pc, `the global function ${global.name}() has a prototype the kernel does not accept for global functions (${signature?.unsupported ?? "no BTF prototype"})`, env.opts.programName);
    }
    const invalid = (reason: string): never => reject("EINVAL", reason, `Caller passes invalid args into func#${index} ('${global.name}')`);
    signature.args.forEach((arg, i) => {
      const regno = i + 1;
      const reg = readReg(caller, regno);
      switch (arg.kind) {
        case "scalar":
          if (reg.kind !== "scalar") invalid(`R${regno} is not a scalar`);
          return;
        case "ctx":
          if (reg.kind !== "ptr" || reg.type !== "ctx") invalid(`arg#${i} expects pointer to ctx`);
          else if (reg.off !== 0) invalid(`dereference of modified ctx ptr R${regno} off=${reg.off} disallowed`);
          return;
        case "mem": {
          // check_mem_reg: NULL passes; otherwise the bytes must be readable and writable.
          if (isKnownZero(reg)) return this.demandReg(regno);
          if (reg.kind !== "ptr") return invalid(`R${regno} type=${typeName(reg)} expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_`);
          const nonNull = { ...reg, maybeNull: false };
          helperMemAccess(env, state, regno, nonNull, arg.sizeBytes, "read", false);
          helperMemAccess(env, state, regno, nonNull, arg.sizeBytes, "write", false);
          return;
        }
        case "unsupported":
          return;
      }
    });
    this.trace(`Func#${index} ('${global.name}') is global and assumed valid.`);
    this.calledGlobals.add(target);
    for (let r = 1; r <= 5; r++) caller.regs[r] = NOT_INIT;
    caller.regs[0] = unknownScalar;
    if (this.changesPacketData(index)) {
      for (const f of state.frames) {
        f.regs.forEach((r, regno) => {
          if (r.kind === "ptr" && (r.type === "pkt" || r.type === "pkt_meta" || r.type === "pkt_end")) f.regs[regno] = env.opts.allowPtrLeaks ? unknownScalar : NOT_INIT;
        });
      }
    }
    path.pc = path.pc + 1;
  }

  // A function that calls a helper which may move the packet (bpf_xdp_adjust_head...) invalidates the caller's packet pointers.
  private changesPacketData(funcIndex: number): boolean {
    const fn = this.env.functions[funcIndex];
    for (let pc = fn.startPc; pc < fn.endPc; pc++) {
      const form = this.env.forms[pc];
      if (form?.kind === "callHelper" && helperPrototype(form.helperId)?.changesPacketData) return true;
    }
    return false;
  }

  private exit(path: Path): "exit" | "continue" {
    const { env } = this;
    const state = path.state;
    const frame = curFrame(state);
    this.noteStackDepth(state);
    // check_resource_leak: only the outermost frame's exit may not hold the lock.
    if (state.frames.length === 1) checkExitWhileLocked(state);
    if (frame.inCallback) {
      // A callback returns 0 (go on) or 1 (stop); then the helper call runs again (prepare_func_exit).
      const r0 = readReg(frame, 0);
      if (path.history !== undefined) path.history.callbackExit = true;
      if (r0.kind === "scalar") this.demandReg(0);
      if (r0.kind !== "scalar" || r0.value.smin < 0n || r0.value.smax > 1n) {
        const parts = r0.kind !== "scalar" ? [" unknown scalar value"] : [
          ...(r0.value.smin > S.S64_MIN ? [` smin=${r0.value.smin}`] : []),
          ...(r0.value.smax < S.S64_MAX ? [` smax=${r0.value.smax}`] : []),
        ];
        reject("EINVAL", `At callback return the register R0 has${parts.length > 0 ? parts.join("") : " unknown scalar value"} should have been in [0, 1]`);
      }
      state.frames.pop();
      path.pc = frame.callsite;
      return "continue";
    }
    if (state.frames.length > 1) {
      // prepare_func_exit: r0 goes back to the caller; a pointer into the dying frame may not.
      const r0 = frame.regs[0];
      if (r0.kind === "ptr" && r0.type === "stack") reject("EINVAL", "cannot return stack pointer to the caller");
      state.frames.pop();
      const caller = curFrame(state);
      caller.regs[0] = r0;
      if (env.opts.logLevel > 0) {
        const shown = cloneState({ ...state, frames: [...state.frames, frame] });
        this.trace(() => `returning from callee:\n ${stateText(shown)}\nto caller at ${frame.callsite + 1}:\n ${stateText({ ...shown, frames: shown.frames.slice(0, -1) })}`);
      }
      path.pc = frame.callsite + 1;
      return "continue";
    }
    const r0 = readReg(frame, 0);
    // check_return_code for a global function verified on its own: any scalar.
    if (frame.funcIndex !== 0 && r0.kind !== "scalar") reject("EINVAL", `At subprogram exit the register R0 is not a scalar value (${typeName(r0)})`);
    if (state.refs.length > 0) {
      reject("EINVAL", `Unreleased reference id=${state.refs[0].id} alloc_insn=${state.refs[0].insn}`, "BPF_EXIT instruction in main prog would lead to reference leak");
    }
    if (r0.kind === "ptr" && !env.opts.allowPtrLeaks) reject("EACCES", "R0 leaks addr as return value");
    return "exit";
  }

  private noteStackDepth(state: VState): void {
    for (const f of state.frames) {
      if (f.stackDepthBytes > this.stackDepth[f.funcIndex]) this.stackDepth[f.funcIndex] = f.stackDepthBytes;
    }
  }

  // mark_reg_read for the stack: each slot the current path reads before writing it is read in its parent
  // checkpoint, and up the chain until a checkpoint whose segment wrote the slot whole.
  private stackRead(frame: number, lowOff: number, highOff: number): void {
    const path = this.current;
    if (path === undefined || highOff <= lowOff) return;
    const first = Math.floor(byteIndex(highOff - 1) / SLOT_BYTES);
    const last = Math.floor(byteIndex(lowOff) / SLOT_BYTES);
    for (let slot = first; slot <= last; slot++) this.markRead(path, frame, slot);
  }

  private markRead(path: Path, frame: number, slot: number): void {
    if (frame < 0 || frame >= MAX_CALL_FRAMES || slot < 0 || slot >= STACK_SLOTS || hasSlot(path.writes, frame, slot)) return;
    for (let cp = path.parent; cp !== undefined; cp = cp.parent) {
      if (hasSlot(cp.slotReads, frame, slot)) return;
      addSlot(cp.slotReads, frame, slot);
      if (hasSlot(cp.segmentWrites, frame, slot)) return;
    }
  }

  private stackWrote(frame: number, off: number): void {
    const path = this.current;
    if (path === undefined || off % SLOT_BYTES !== 0 || frame < 0 || frame >= MAX_CALL_FRAMES) return;
    addSlot(path.writes, frame, byteIndex(off) / SLOT_BYTES);
  }

  private propagateReads(reads: SlotSet, path: Path): void {
    for (let frame = 0; frame < MAX_CALL_FRAMES; frame++) {
      for (let slot = 0; slot < STACK_SLOTS; slot++) if (hasSlot(reads, frame, slot)) this.markRead(path, frame, slot);
    }
  }

  // The history entry of the instruction about to run: its frame, the stack slot it reads or writes at a fixed
  // offset, and for a conditional jump the registers linked with its operands.
  private record(path: Path, form: Instruction): HistoryEntry {
    const state = path.state;
    // Every field present from the start: the precision walk then reads entries of one shape.
    const entry: HistoryEntry = { pc: path.pc, depth: state.frames.length - 1, prev: path.history, stack: undefined, linked: undefined, callbackExit: undefined };
    if (this.tracksPrecision) {
      const base = form.kind === "load" ? form.src : form.kind === "storeReg" || form.kind === "storeImm" || form.kind === "atomic" ? form.dst : -1;
      if (base >= 0 && (form.kind === "load" || form.kind === "storeReg" || form.kind === "storeImm" || form.kind === "atomic")) {
        const ref = this.fixedSlot(state, base, form.off);
        if (ref !== undefined) entry.stack = { ...ref, spill: this.slotIsSpill(state, ref.frame, ref.slot) };
      }
      if (form.kind === "jcond") {
        const frame = curFrame(state);
        const dst = frame.regs[form.dst];
        const src = form.source === "reg" ? frame.regs[form.src] : undefined;
        const dstLinked = dst.kind === "scalar" && dst.id !== 0;
        const srcLinked = src?.kind === "scalar" && src.id !== 0;
        if (dstLinked || srcLinked) {
          const groups: LinkedGroup[] = [];
          if (dstLinked) groups.push(linkedGroup(state, dst.id));
          if (srcLinked) groups.push(linkedGroup(state, src.id));
          entry.linked = groups;
        }
      }
    }
    path.history = entry;
    return entry;
  }

  // The frame and slot of a fixed-offset stack access through `regno` + off, if it is one.
  private fixedSlot(state: VState, regno: number, off: number): { frame: number; slot: number } | undefined {
    const reg = curFrame(state).regs[regno];
    if (reg.kind !== "ptr" || reg.type !== "stack") return undefined;
    const fixed = S.constValue(reg.varOff);
    if (fixed === undefined) return undefined;
    const abs = Number(BigInt.asIntN(64, fixed)) + reg.off + off;
    if (abs < -STACK_BYTES || abs >= 0) return undefined;
    const frame = reg.frameNo ?? state.frames.length - 1;
    if (frame >= state.frames.length) return undefined;
    return { frame, slot: Math.floor(byteIndex(abs) / SLOT_BYTES) };
  }

  private slotIsSpill(state: VState, frame: number, slot: number): boolean {
    return state.frames[frame]?.stack[slot * SLOT_BYTES + SLOT_BYTES - 1] === StackByte.SPILL;
  }

  private demandReg(regno: number): void {
    const path = this.current;
    if (!this.tracksPrecision || path === undefined) return;
    const reg = curFrame(path.state).regs[regno];
    if (reg?.kind !== "scalar") return;
    const demand = this.scratchDemand;
    demand.clear();
    demand.addReg(path.state.frames.length - 1, regno);
    this.demandPrecise(demand, path, true);
  }

  private demandSlot(frame: number, slot: number): void {
    const path = this.current;
    if (!this.tracksPrecision || path === undefined) return;
    const demand = this.scratchDemand;
    demand.clear();
    demand.addSlot(frame, slot);
    this.demandPrecise(demand, path, true);
  }

  private demandOperands(form: Extract<Instruction, { kind: "jcond" }>): void {
    this.demandReg(form.dst);
    if (form.source === "reg") this.demandReg(form.src);
  }

  // mark_chain_precision: walk the path's instructions backwards from the current one (skipHead: it has not
  // changed anything yet), then each checkpoint's, marking what is needed in each checkpoint until nothing is new.
  private demandPrecise(demand: Demand, path: Path, skipHead: boolean): void {
    let entry = path.history;
    let cp = path.parent;
    let nextDepth = path.state.frames.length - 1;
    let skip = skipHead;
    for (;;) {
      for (; entry !== undefined; entry = entry.prev) {
        if (skip) {
          skip = false;
          nextDepth = entry.depth;
          continue;
        }
        if (backtrackEntry(this.env.forms[entry.pc], entry, nextDepth, demand) === "giveUp") return this.markAllPrecise(path);
        nextDepth = entry.depth;
        if (demand.isEmpty()) return;
      }
      skip = false;
      if (cp === undefined) return;
      markInState(cp.state, demand);
      if (demand.isEmpty()) return;
      entry = cp.history;
      cp = cp.parent;
    }
  }

  // mark_all_scalars_precise: the fallback when a demand cannot be followed back.
  private markAllPrecise(path: Path): void {
    if (!this.tracksPrecision) return;
    for (let cp = path.parent; cp !== undefined; cp = cp.parent) markAllInState(cp.state);
  }

  // For the facts: which of cur's registers (per frame) and whether its stack differ from what old covered by value.
  private noteImpreciseJoin(old: VState, cur: VState, liveMask: ArrayLike<number>, pc: number, slotReads: SlotSet): void {
    const regs: number[] = [];
    let stack = false;
    let stackFacts = false;
    cur.frames.forEach((frame, f) => {
      const live = liveMask[f];
      let mask = 0;
      frame.regs.forEach((r, regno) => {
        if (((live >> regno) & 1) === 0) return;
        const o = old.frames[f].regs[regno];
        if (o.kind === "scalar" && r.kind === "scalar" && !(o.delta === r.delta && o.id === 0 && r.id === 0 && S.covers(o.value, r.value))) mask |= 1 << regno;
      });
      frame.spills.forEach((r, slot) => {
        const o = old.frames[f].spills[slot];
        const deviates = o?.kind === "scalar" && r?.kind === "scalar" && !(o.id === 0 && r.id === 0 && S.covers(o.value, r.value));
        if (deviates && hasSlot(slotReads, f, slot)) stack = true;
        if (deviates) stackFacts = true;
      });
      // Slots not compared (dead) or accepted as they are may hold other bytes than old's: their facts go too.
      const bytes = old.frames[f].stack;
      for (let i = 0; i < bytes.length && !stackFacts; i++) if (bytes[i] !== frame.stack[i]) stackFacts = true;
      // A scalar linked by id to a deviating one may be refined differently later: all linked ones deviate too.
      if (mask !== 0 && frame.regs.some((r) => r.kind === "scalar" && r.id !== 0)) mask = REG_MASK_ALL;
      regs.push(mask);
    });
    this.impreciseJoins.push({ pc, callsites: cur.frames.map((f) => f.callsite), callbackFrames: cur.frames.map((f) => f.inCallback === true), regs, stack, stackFacts });
  }

  // statesEqual(cp.state, cur) as pruning asks it, first through the checkpoint's guard register.
  private coveredBy(cp: Checkpoint, cur: VState, top: number, liveMask: Int32Array): boolean {
    const precision = this.tracksPrecision ? "marked" : "all";
    if (cp.guardReg !== undefined && cp.frameCount === cur.frames.length) {
      const reg = cur.frames[top].regs[cp.guardRegno];
      const c = cp.guardConst;
      // regSafe of a precise constant: cur must be a scalar without a delta whose known bits are that constant.
      if (c === c && (reg.kind !== "scalar" || reg.delta !== undefined || reg.value.bits.mask !== 0n || !(c <= reg.value.bits.value && reg.value.bits.value <= c))) return false;
      if (!regCovers(cp.guardReg, reg, precision)) return false;
    }
    if (statesEqual(cp.state, cur, liveMask, false, precision, cp.slotReads)) return true;
    // A live register of the current frame: live at this pc whatever the state (the guard depends on that).
    if (lastMismatch.frame === top) {
      const guard = cp.state.frames[top].regs[lastMismatch.regno];
      cp.guardRegno = lastMismatch.regno;
      cp.guardReg = guard;
      const value = guard.kind === "scalar" && guard.delta === undefined && (precision === "all" || guard.precise === true) ? S.constValue(guard.value) : undefined;
      cp.guardConst = value !== undefined && value <= MAX_EXACT_DOUBLE ? Number(value) : NaN;
    }
    return false;
  }

  // is_state_visited: prune against a finished state that covers this one, detect a loop that cannot end, or checkpoint.
  private isStateVisited(path: Path): boolean {
    const pc = path.pc;
    const cur = path.state;
    const liveMask = this.liveMasks;
    const top = cur.frames.length - 1;
    liveMask[top] = this.liveIn[pc] | (1 << FRAME_POINTER);
    // A caller's registers matter from its return point; r0-r5 are rewritten by then.
    for (let f = 0; f < top; f++) liveMask[f] = (this.liveIn[cur.frames[f + 1].callsite + 1] & ~0x3f) | (1 << FRAME_POINTER);
    const callbackSite = this.callbackSites[pc] === 1;
    let addNew = callbackSite || (this.processed - this.prevProcessed >= 8 && this.jumps - this.prevJumps >= 2);
    const list = (this.checkpoints[pc] ??= []);
    for (let i = 0; i < list.length; i++) {
      const cp = list[i];
      if (cp.branches > 0 && callbackSite) {
        // Another call of the callback from a state already being explored adds nothing (bpf_loop is bounded at
        // run time). Scalars that changed between the calls are widened to unknown so that the iteration
        // converges, as the kernel's ignoring of imprecise scalars makes it converge; during the first calls a
        // precise one (a counter used as an offset) is followed call by call, as the kernel follows it.
        if (!statesEqual(cp.state, cur, liveMask, false) && isAncestor(cp, path.parent)) widenScalars(cp.state, cur, this.tracksPrecision && curFrame(cur).callbackDepth < FOLLOWED_CALLBACK_CALLS);
        if (statesEqual(cp.state, cur, liveMask, false)) {
          cp.hits++;
          this.noteStackDepth(cur);
          // The old state's marks are not final while it is explored: every scalar on this path stays precise.
          this.markAllPrecise(path);
          return true;
        }
      } else if (cp.branches > 0) {
        // A state of another call of a callback is no loop: bpf_loop ends after a bounded number of calls.
        if (cp.state.callbackUnrollDepth === cur.callbackUnrollDepth && statesEqual(cp.state, cur, liveMask, true) && isAncestor(cp, path.parent)) {
          throw new Reject([`infinite loop detected at insn ${pc}`, `cur state: ${stateText(cur)}`, `old state: ${stateText(cp.state)}`], "EINVAL", undefined, 0);
        }
        // Inside a loop, checkpoint less often: iterations rarely prune each other.
        if (this.jumps - this.prevJumps < 20 && this.processed - this.prevProcessed < 100) addNew = false;
      } else if (this.coveredBy(cp, cur, top, liveMask)) {
        cp.hits++;
        this.noteStackDepth(cur);
        // propagate_liveness: what the old state's continuation read, this one's reads too.
        this.propagateReads(cp.slotReads, path);
        // A prune that needed imprecise scalars or dead slots: the facts after it must allow for this path's values.
        if (this.env.opts.collectFacts && !statesEqual(cp.state, cur, liveMask, false)) this.noteImpreciseJoin(cp.state, cur, liveMask, pc, cp.slotReads);
        if (this.tracksPrecision) this.demandPrecise(demandOfPrecise(cp.state, liveMask), path, false);
        return true;
      }
      // A state that keeps missing is dropped from the list (it stays reachable as a parent).
      if (addNew) cp.misses++;
      if (cp.misses > cp.hits * MISS_FACTOR + MISS_FACTOR) {
        list.splice(i, 1);
        i--;
        this.liveStates--;
      }
    }
    if (!addNew) return false;
    const cp: Checkpoint = { state: cloneState(cur), pc, parent: path.parent, history: path.history, slotReads: newSlotSet(), segmentWrites: path.writes, branches: 1, hits: 0, misses: 0, guardRegno: -1, guardReg: undefined, guardConst: NaN, frameCount: cur.frames.length };
    path.parent = cp;
    path.history = undefined;
    path.writes = newSlotSet();
    list.push(cp);
    this.prevProcessed = this.processed;
    this.prevJumps = this.jumps;
    this.totalStates++;
    this.liveStates++;
    this.peakStates = Math.max(this.peakStates, this.liveStates);
    this.maxStatesPerInsn = Math.max(this.maxStatesPerInsn, list.length);
    return false;
  }
}

// A register's largest unsigned value (a pointer's: that of its variable offset), as bpf_loop's count is read.
function maxValue(reg: RegState): bigint {
  if (reg.kind === "scalar") return reg.value.umax;
  if (reg.kind === "ptr") return reg.varOff.umax;
  return 0n;
}

// Every scalar (register or spilled) that differs between an earlier state and the current one becomes unknown,
// unless (with precision tracking) the earlier state's is precise.
function widenScalars(old: VState, cur: VState, keepPrecise: boolean): void {
  if (old.frames.length !== cur.frames.length) return;
  const widens = (o: RegState | undefined, r: RegState | undefined): boolean =>
    r?.kind === "scalar" && o?.kind === "scalar" && !(keepPrecise && o.precise === true) && !S.equalScalars(r.value, o.value);
  cur.frames.forEach((frame, i) => {
    const before = old.frames[i];
    frame.regs.forEach((r, regno) => {
      if (widens(before.regs[regno], r)) frame.regs[regno] = unknownScalar;
    });
    frame.spills.forEach((r, slot) => {
      if (widens(before.spills[slot], r)) {
        ownStack(frame);
        frame.spills[slot] = unknownScalar;
      }
    });
  });
}

// Every scalar register and spilled scalar, in any frame, that carries `id` (collect_linked_regs).
function linkedGroup(state: VState, id: number): LinkedGroup {
  const regs: { frame: number; regno: number }[] = [];
  const slots: { frame: number; slot: number }[] = [];
  state.frames.forEach((f, frame) => {
    f.regs.forEach((r, regno) => {
      if (r.kind === "scalar" && r.id === id) regs.push({ frame, regno });
    });
    f.spills.forEach((r, slot) => {
      if (r?.kind === "scalar" && r.id === id && f.stack[slot * SLOT_BYTES + SLOT_BYTES - 1] === StackByte.SPILL) slots.push({ frame, slot });
    });
  });
  return { regs, slots };
}

function isAncestor(cp: Checkpoint, from: Checkpoint | undefined): boolean {
  for (let c = from; c !== undefined; c = c.parent) if (c === cp) return true;
  return false;
}

// Conditional jumps, every jump and call target, calls and the instructions after calls (kernel/bpf/verifier.c visit_insn, push_insn).
function markPrunePoints(forms: readonly (Instruction | undefined)[]): Uint8Array {
  const points = new Uint8Array(forms.length);
  forms.forEach((form, pc) => {
    if (form === undefined) return;
    switch (form.kind) {
      case "jcond": {
        points[pc] = 1;
        // push_insn marks every branch target.
        const target = branchTarget(form, pc)!;
        if (target >= 0 && target < forms.length) points[target] = 1;
        break;
      }
      case "ja": {
        const target = branchTarget(form, pc)!;
        if (target >= 0 && target < forms.length) points[target] = 1;
        break;
      }
      case "callLocal": {
        points[pc] = 1;
        if (pc + 1 < forms.length) points[pc + 1] = 1;
        const target = branchTarget(form, pc)!;
        if (target >= 0 && target < forms.length) points[target] = 1;
        break;
      }
      case "callHelper":
      case "callKfunc":
        if (pc + 1 < forms.length) points[pc + 1] = 1;
        break;
      default:
        break;
    }
  });
  return points;
}

function opcodeHex(env: Env, pc: number): string {
  return env.opcodes[pc].toString(16).padStart(2, "0");
}

function snapshot(frame: Frame, withStack: boolean): FrameSnapshot {
  return {
    frameNo: frame.frameNo,
    regs: frame.regs.slice(),
    ...(withStack ? { stack: frame.stack.slice(), spills: frame.spills.slice() } : {}),
  };
}

// The registers an instruction touched (read or wrote) and the stack slots it changed, in the kernel's state format.
function scratchedParts(regMask: number, before: FrameSnapshot, after: FrameSnapshot): string {
  const parts: string[] = [];
  if (after.frameNo) parts.push(`frame${after.frameNo}:`);
  after.regs.forEach((r, i) => {
    if (r.kind === "not_init" || ((regMask >> i) & 1) === 0) return;
    parts.push(`R${i}=${regText(r, after.frameNo)}`);
  });
  if (after.stack !== undefined && before.stack !== undefined && after.spills !== undefined && before.spills !== undefined) {
    const slots = new Set<number>();
    for (let i = 0; i < after.stack.length; i++) if (after.stack[i] !== before.stack[i]) slots.add(Math.floor(i / SLOT_BYTES));
    after.spills.forEach((spilled, slot) => {
      if (spilled !== before.spills![slot]) slots.add(slot);
    });
    const frame: Frame = { frameNo: after.frameNo, callsite: -1, funcIndex: 0, regs: [], stack: after.stack, spills: after.spills.slice(), stackDepthBytes: 0, callbackDepth: 0 };
    parts.push(...stateParts(emptyState(frame), 0, { regs: new Set(), slots }));
  }
  return (after.frameNo && parts.length === 1 ? [] : parts).join(" ");
}
