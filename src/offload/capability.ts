// The capability check: which instructions of the program the card can run,
// and why not the others. The answer is per eBPF instruction (pc, disassembly,
// C source line, one-sentence reason and the rule's source), and it is not a
// rejection: each blocked instruction becomes a point where the packet moves
// to the host, which runs the rest of the program (see partition.ts).
import type { Program } from "../ebpf/index.ts";
import type { Preset } from "../../hw-model/presets/types.ts";
import { helperName, helperPrototype, HelperId } from "../helpers/prototypes.ts";
import { PERF_CTXLEN_MASK, PERF_CURRENT_CPU } from "../maps/flags.ts";
import { MapType, mapTypeName, type MapDef } from "../maps/types.ts";
import * as S from "../verifier/scalar.ts";
import { describeVal, isPointer, mayBePointer, type AbsVal } from "./abstract-value.ts";
import { STACK_FRAME_BYTES, type AbsState, type VerifierFacts } from "./analysis.ts";
import { MapFlag } from "../maps/flags.ts";
import { rules, type RuleId } from "./capability-rules.ts";
import { frontEnd, type FrontEnd } from "./front-end.ts";
import { FRAME_POINTER_REG, frameOf, regOf, type IrInsn, type IrTerm, type Origin } from "./ir.ts";
import { helperRoute } from "./lower-helpers.ts";
import { pointerBytesProblem } from "./pointer-bytes.ts";
import { deepestCallChain, KERNEL_STACK_GRANULE_BYTES, type CallChainStack } from "./stack-depth.ts";
import { RESERVED_BYTES } from "./stack-layout.ts";
import { contextCsr } from "./lower-memory.ts";
import { disassembleAt, sourceLineAt, type OffloadSource } from "./source.ts";
import { immAsU64 } from "../interp/u64.ts";

export interface Blocker {
  // The eBPF instruction (slot index) that cannot run on the card.
  readonly pc: number;
  readonly disassembly: string;
  readonly source?: { readonly file: string; readonly line: number; readonly text: string };
  readonly rule: RuleId;
  readonly reason: string;
  // Where the rule comes from (a preset field or the nfp driver).
  readonly ruleSource: string;
  // Where the host takes over when a packet reaches it (the call site for an instruction inside a function).
  readonly hostResumePc: number;
}

export interface MapCapability {
  readonly index: number;
  readonly name: string;
  readonly type: string;
  readonly keyBytes: number;
  readonly valueBytes: number;
  readonly maxEntries: number;
  readonly usedOnNic: boolean;
  readonly offloadable: boolean;
  readonly reasons: readonly string[];
}

export interface CapabilityReport {
  readonly program: string;
  readonly preset: string;
  readonly instructions: number;
  readonly reachableInstructions: number;
  readonly blockers: readonly Blocker[];
  readonly maps: readonly MapCapability[];
  readonly stackBytes: number;
  readonly stackLimitBytes: number;
  // True when no reachable instruction is blocked.
  readonly fullyOffloadable: boolean;
}

export interface BlockerAnalysis {
  readonly report: CapabilityReport;
  // Per IR block, the index of the first point that moves the packet to the host.
  readonly cuts: ReadonlyMap<number, number>;
}

interface Found {
  readonly origin: Origin;
  readonly rule: RuleId;
  readonly reason: string;
}

const constOf = (v: AbsVal | undefined): bigint | undefined => (v?.k === "scalar" ? S.constValue(v.s) : undefined);

// Why each map cannot be offloaded (empty: it can), by the preset's limits.
function mapReasons(def: MapDef, preset: Preset): string[] {
  const o = preset.offload;
  const reasons: string[] = [];
  const type = mapTypeName(def.type);
  if (!o.mapTypes.includes(type)) reasons.push(`map type ${type} is not offloadable (the card takes ${o.mapTypes.join(", ")})`);
  if (def.keySize > o.maxKeyBytes) reasons.push(`its ${def.keySize}-byte key is larger than the card's ${o.maxKeyBytes}-byte limit`);
  if (def.valueSize > o.maxValueBytes) reasons.push(`its ${def.valueSize}-byte value is larger than the card's ${o.maxValueBytes}-byte limit`);
  if (def.keySize + def.valueSize > o.maxEntryBytes) reasons.push(`its ${def.keySize + def.valueSize}-byte entry is larger than the card's ${o.maxEntryBytes}-byte limit`);
  return reasons;
}

// offsetofend(struct bpf_devmap_val, bpf_prog.fd), the same for struct bpf_cpumap_val (include/uapi/linux/bpf.h):
// a devmap or cpumap whose values reach it carries an entry program (kernel/bpf/devmap.c dev_map_alloc_check).
const ENTRY_PROGRAM_VALUE_BYTES = 8;

const entriesCarryPrograms = (def: MapDef): boolean =>
  (def.type === MapType.DEVMAP || def.type === MapType.DEVMAP_HASH || def.type === MapType.CPUMAP) && def.valueSize >= ENTRY_PROGRAM_VALUE_BYTES;

// Why the whole program stays on the host because the kernel runs it from a map entry, or undefined.
function entryProgramReason(source: OffloadSource): string | undefined {
  switch (source.expectedAttachType) {
    case "xdp_devmap":
      return "it is a devmap entry's program (expected attach type BPF_XDP_DEVMAP): the kernel runs it on the host after a redirect and never attaches it to a device, and a devmap entry refuses a device-bound program";
    case "xdp_cpumap":
      return "it is a cpumap entry's program (expected attach type BPF_XDP_CPUMAP): the kernel runs it on the host CPU the packet was redirected to and never attaches it to a device, and a cpumap entry refuses a device-bound program";
    default:
      return undefined;
  }
}

const samePointerTarget = (a: AbsVal, b: AbsVal): boolean =>
  (a.k === "packet" && b.k === "packet") || (a.k === "stack" && b.k === "stack" && a.frame === b.frame) || (a.k === "value" && b.k === "value" && a.map === b.map);

const pointerish = mayBePointer;

// Why an access of `bytes` at base + off may leave the 512-byte frame, or undefined when it cannot.
function stackBoundsProblem(base: AbsVal & { k: "stack" }, off: number, bytes: number): string | undefined {
  const lo = base.off.smin + BigInt(off);
  const hi = base.off.smax + BigInt(off) + BigInt(bytes);
  if (lo >= -BigInt(STACK_FRAME_BYTES) && hi <= 0n) return undefined;
  const c = S.constValue(base.off);
  return c === undefined
    ? `its stack offset is not known to stay inside the ${STACK_FRAME_BYTES}-byte frame`
    : `it touches ${bytes} bytes at stack offset ${Number(BigInt.asIntN(64, c)) + off}, outside the ${STACK_FRAME_BYTES}-byte frame`;
}

// A stack pointer at a constant offset that is a multiple of 4.
function stackArgProblem(v: AbsVal, bytes: number): string | undefined {
  if (v.k !== "stack") return `points at ${describeVal(v)}, not the stack`;
  const c = S.constValue(v.off);
  if (c === undefined) return "has a variable stack offset";
  if (Number(BigInt.asIntN(64, c)) % 4 !== 0) return `is at stack offset ${Number(BigInt.asIntN(64, c))}, not a multiple of 4`;
  return stackBoundsProblem(v, 0, bytes);
}

class Checker {
  readonly found = new Map<IrInsn | IrTerm, Found>();
  readonly mapProblems: Map<number, string[]>;
  readonly mapsUsed = new Set<number>();

  constructor(
    private readonly fe: FrontEnd,
    private readonly preset: Preset,
  ) {
    this.mapProblems = new Map(fe.maps.map((m, i) => [i, mapReasons(m, preset)]));
  }

  private block(at: IrInsn | IrTerm, origin: Origin, rule: RuleId, reason: string): void {
    if (!this.found.has(at)) this.found.set(at, { origin, rule, reason });
  }

  private checkMemory(insn: IrInsn & { kind: "op" }, state: AbsState): void {
    const f = insn.form;
    const o = insn.origin;
    if (f.kind !== "load" && f.kind !== "storeImm" && f.kind !== "storeReg" && f.kind !== "atomic") return;
    const baseReg = f.kind === "load" ? f.src : f.dst;
    const base = state.regs[baseReg];
    const write = f.kind !== "load";
    if (base.k === "top" || base.k === "scalar" || base.k === "none" || base.k === "map") {
      this.block(insn, o, "pointerKind", `the base register r${regOf(baseReg)} is ${describeVal(base)}, so the NIC cannot tell which memory to use`);
      return;
    }
    if (base.k === "ctx") {
      if (write) this.block(insn, o, "contextStore", `it stores to the xdp_md context at offset ${f.off}`);
      else if (f.sizeBytes !== 4 || !contextCsr.has(f.off)) this.block(insn, o, "context", `it reads ${f.sizeBytes} bytes of xdp_md at offset ${f.off}, which the NIC does not provide`);
      return;
    }
    if (base.k === "stack") {
      const bounds = stackBoundsProblem(base, f.off, f.sizeBytes);
      if (bounds) {
        this.block(insn, o, "stackBounds", bounds);
        return;
      }
    }
    if (base.k === "value" && write && ((this.fe.maps[base.map]?.flags ?? 0) & MapFlag.RDONLY_PROG) !== 0) {
      this.block(insn, o, "readOnlyMap", `it writes into a value of map '${this.fe.maps[base.map].name}', which programs may only read`);
      return;
    }
    if (f.kind === "atomic") {
      const name = `${f.fetch && f.op !== "xchg" && f.op !== "cmpxchg" ? "fetch_" : ""}${f.op}`;
      if (base.k !== "value") this.block(insn, o, "atomicTarget", `it is an atomic ${f.op} on ${describeVal(base)}, and the card does atomics on map values only`);
      else if (!this.preset.offload.atomicOps.includes(name)) this.block(insn, o, "atomic", `atomic ${name} is not supported by the card (it has: ${this.preset.offload.atomicOps.join(", ")})`);
      else if (f.op !== "add") this.block(insn, o, "atomic", `the NIC's atomic engine has no ${name}`);
      else if (pointerish(state.regs[f.src])) this.block(insn, o, "pointerValue", `it adds a pointer (r${regOf(f.src)}) to memory`);
      return;
    }
    if (base.k === "value" && write && !this.preset.offload.mapValueStores) {
      this.block(insn, o, "mapValueStore", `it stores into a value of map '${this.fe.maps[base.map]?.name ?? base.map}', and the card does not allow writes to map values`);
      return;
    }
    if (f.kind === "storeReg" && base.k !== "stack" && pointerish(state.regs[f.src])) {
      this.block(insn, o, "pointerValue", `it stores a pointer (r${regOf(f.src)}) into ${base.k === "packet" ? "the packet" : "a map value"}`);
    }
  }

  private checkAlu(insn: IrInsn & { kind: "op" }, state: AbsState): void {
    const f = insn.form;
    const o = insn.origin;
    if (f.kind === "lddw") {
      if (f.pseudo === "mapValue" || f.pseudo === "mapIdxValue") {
        this.block(insn, o, "directValue", `it takes the address of a value of map '${this.fe.maps[f.imm]?.name ?? f.imm}' directly (global data), which an offloaded map cannot give`);
      }
      return;
    }
    if (f.kind === "neg" || f.kind === "endian") {
      if (pointerish(state.regs[f.dst])) this.block(insn, o, "pointerValue", `it computes with a pointer (r${regOf(f.dst)})`);
      return;
    }
    if (f.kind === "movsx") {
      if (pointerish(state.regs[f.src])) this.block(insn, o, "pointerValue", `it sign-extends a pointer (r${regOf(f.src)})`);
      return;
    }
    if (f.kind !== "alu") return;
    const s: AbsVal = f.source === "reg" ? state.regs[f.src] : { k: "scalar", s: S.constant(immAsU64(f.imm)) };
    if (f.op === "mov") {
      // A move writes its destination without reading it: only a 32-bit copy of a pointer source loses bits.
      if (f.width === 32 && pointerish(s)) this.block(insn, o, "pointerValue", `it truncates a pointer (r${regOf(f.src)}) to 32 bits, whose value differs on the NIC`);
      return;
    }
    const d = state.regs[f.dst];
    if (!pointerish(d) && !pointerish(s)) return;
    if (f.width === 64 && (f.op === "add" || f.op === "sub")) {
      if (isPointer(d) && s.k === "scalar" && d.k !== "ctx" && d.k !== "map") return;
      if (f.op === "add" && d.k === "scalar" && isPointer(s) && s.k !== "ctx" && s.k !== "map") return;
      if (f.op === "sub" && samePointerTarget(d, s)) return;
    }
    // The low 32 bits of a difference are the difference of the low 32 bits, the same on both sides.
    if (f.width === 32 && f.op === "sub" && samePointerTarget(d, s)) return;
    const operand = pointerish(d) ? `r${regOf(f.dst)}` : `r${regOf(f.src)}`;
    this.block(insn, o, "pointerValue", `it computes with a pointer (${operand}${f.width === 32 ? ", as a 32-bit value" : ""}), whose value differs on the NIC`);
  }

  private checkHelper(insn: IrInsn & { kind: "helper" }, state: AbsState): void {
    const o = insn.origin;
    const id = insn.helperId;
    const proto = helperPrototype(id);
    const name = helperName(id);
    const short = proto?.name ?? `#${id}`;
    if (id === HelperId.REDIRECT_MAP) {
      const target = state.regs[insn.args[0]];
      const def = target.k === "map" ? this.fe.maps[target.map] : undefined;
      if (def && entriesCarryPrograms(def)) {
        this.block(insn, o, "mapEntryProgram", `it redirects into ${mapTypeName(def.type)} '${def.name}', whose ${def.valueSize}-byte values name a program the kernel runs on the host after the redirect`);
        return;
      }
    }
    if (!this.preset.offload.helpers.includes(short)) {
      this.block(insn, o, "helper", `it calls ${name}, which the card does not offer`);
      return;
    }
    const route = helperRoute(id);
    if (!route) {
      this.block(insn, o, "helperRoutine", `the card lists ${name} but its firmware has no routine for it`);
      return;
    }
    const arg = (i: number): AbsVal => state.regs[insn.args[i]];
    const ctxArg = proto?.args.findIndex((a) => a.type === "ARG_PTR_TO_CTX") ?? -1;
    if (ctxArg >= 0 && arg(ctxArg).k !== "ctx") {
      this.block(insn, o, "helperArgument", `its context argument r${ctxArg + 1} is ${describeVal(arg(ctxArg))}`);
      return;
    }
    if (route.mapArg !== undefined) {
      const m = arg(route.mapArg);
      if (m.k !== "map") {
        this.block(insn, o, "mapArgument", `its map argument r${route.mapArg + 1} is ${describeVal(m)}`);
        return;
      }
      const problems = this.mapProblems.get(m.map) ?? [`it names map #${m.map}, which the object does not have`];
      if (problems.length) {
        this.block(insn, o, problems[0].startsWith("map type") ? "mapType" : "mapSize", `map '${this.fe.maps[m.map]?.name ?? m.map}': ${problems[0]}`);
        return;
      }
      this.mapsUsed.add(m.map);
    }
    switch (id) {
      case HelperId.MAP_LOOKUP_ELEM:
      case HelperId.MAP_DELETE_ELEM:
      case HelperId.MAP_UPDATE_ELEM: {
        const def = this.fe.maps[(arg(route.mapArg!) as { map: number }).map];
        const key = stackArgProblem(arg(1), def.keySize);
        if (key) {
          this.block(insn, o, "keyOnStack", `its key (r2) ${key}`);
          return;
        }
        if (id === HelperId.MAP_UPDATE_ELEM) {
          const value = stackArgProblem(arg(2), def.valueSize);
          if (value) this.block(insn, o, "keyOnStack", `its value (r3) ${value}`);
        }
        return;
      }
      case HelperId.XDP_ADJUST_HEAD: {
        const delta = arg(1);
        const limit = this.preset.offload.adjustHeadGuaranteedSubBytes;
        const min = delta.k === "scalar" ? delta.s.s32min : undefined;
        if (min === undefined || min < -BigInt(limit)) this.block(insn, o, "adjustHead", `its delta is not known to stay within the ${limit} bytes of headroom the NIC guarantees`);
        return;
      }
      case HelperId.XDP_ADJUST_TAIL: {
        const delta = arg(1);
        if (delta.k !== "scalar" || delta.s.s32max >= 0n) this.block(insn, o, "adjustTail", "its delta is not known to be negative, and the NIC only shrinks packets");
        return;
      }
      case HelperId.PERF_EVENT_OUTPUT: {
        const flags = constOf(arg(2));
        if (flags === undefined || (flags & ~PERF_CTXLEN_MASK & 0xffff_ffff_ffff_ffffn) !== PERF_CURRENT_CPU) {
          this.block(insn, o, "perfOutput", "its flags are not BPF_F_CURRENT_CPU (optionally with a packet sample length)");
        }
        return;
      }
      default:
        return;
    }
  }

  private checkPointerBytes(insn: IrInsn, state: AbsState, liveAfter: (frame: number) => bigint): void {
    const problem = pointerBytesProblem(insn, state, this.fe.maps, this.fe.ir.frames.length, regOf, liveAfter);
    if (problem) this.block(insn, insn.origin, "pointerValue", problem);
  }

  private checkTerm(term: IrTerm, state: AbsState): void {
    if (term.kind === "stop") {
      this.block(term, term.origin, "instruction", term.reason);
      return;
    }
    if (term.kind === "exit") {
      if (pointerish(state.regs[term.value])) this.block(term, term.origin, "exit", `it returns ${describeVal(state.regs[term.value])} as the XDP action`);
      return;
    }
    if (term.kind !== "branch") return;
    const c = term.cond;
    const a = state.regs[c.dst];
    const b: AbsVal = c.source === "reg" ? state.regs[c.src] : { k: "scalar", s: S.constant(immAsU64(c.imm)) };
    if (!pointerish(a) && !pointerish(b)) return;
    if (c.width === 64 && samePointerTarget(a, b)) return;
    const nullTest = (p: AbsVal, q: AbsVal): boolean => (p.k === "value" || p.k === "packet") && constOf(q) === 0n && (c.op === "jeq" || c.op === "jne") && c.width === 64;
    if (nullTest(a, b) || nullTest(b, a)) return;
    this.block(term, term.origin, "pointerValue", `it compares ${describeVal(a)} with ${describeVal(b)}, whose values differ on the NIC`);
  }

  run(): void {
    const { ir, analysis } = this.fe;
    for (const block of ir.blocks) {
      const states = analysis.before[block.id];
      if (!states) continue;
      block.insns.forEach((insn, i) => {
        const state = states[i];
        const liveAfter = (frame: number): bigint => this.fe.liveness.liveBefore(block.id, i + 1).stack[frame] ?? 0n;
        switch (insn.kind) {
          case "opaque":
            this.block(insn, insn.origin, "instruction", `it ${insn.reason}`);
            return;
          case "helper":
            this.checkHelper(insn, state);
            this.checkPointerBytes(insn, state, liveAfter);
            return;
          case "op":
            this.checkMemory(insn, state);
            this.checkAlu(insn, state);
            this.checkPointerBytes(insn, state, liveAfter);
            return;
          case "call":
            return;
        }
      });
      this.checkTerm(block.term, states[block.insns.length]);
    }
  }
}

// Maps used on the NIC beyond the card's table count or total entries: the largest are left to the host.
function overCapacity(maps: readonly MapDef[], used: ReadonlySet<number>, preset: Preset): Set<number> {
  const out = new Set<number>();
  const sorted = [...used].sort((a, b) => maps[b].maxEntries - maps[a].maxEntries);
  let count = used.size;
  let entries = sorted.reduce((n, i) => n + maps[i].maxEntries, 0);
  for (const i of sorted) {
    if (count <= preset.offload.maxMaps && entries <= preset.offload.maxMapEntries) break;
    out.add(i);
    count--;
    entries -= maps[i].maxEntries;
  }
  return out;
}

function kernelStackReason(calls: CallChainStack, limitBytes: number): string {
  const chain = calls.chain.map((c) => `${c.functionName} ${c.depthBytes} B`).join(" -> ");
  return `its call chain ${chain} needs ${calls.bytes} bytes of eBPF stack as the kernel counts it (each function rounded up to ${KERNEL_STACK_GRANULE_BYTES} bytes), more than the card's ${limitBytes} bytes`;
}

// The kernel's count fits but the compiler's frames do not: name the access that made a frame whole.
function nicFramesReason(fe: FrontEnd, framesBytes: number, limitBytes: number): string {
  const frame = fe.layout.unboundedPc.findIndex((pc) => pc !== undefined);
  const total = `its frames need ${framesBytes} bytes on the card, more than the card's ${limitBytes}-byte eBPF stack`;
  if (frame < 0) return `the compiler's stack layout does not fit: ${total}`;
  const pc = fe.layout.unboundedPc[frame]!;
  const name = fe.ir.frames[frame].functionName;
  return `the compiler cannot bound how deep the stack access at pc ${pc} (${disassembleAt(fe.source.insns, pc)}) reaches in ${name}, so it keeps ${name}'s whole ${STACK_FRAME_BYTES}-byte frame and ${total}`;
}

export function findBlockers(fe: FrontEnd, preset: Preset): BlockerAnalysis {
  const checker = new Checker(fe, preset);
  checker.run();
  // Maps beyond the card's capacity: their helper calls go to the host too.
  const dropped = overCapacity(fe.maps, checker.mapsUsed, preset);
  if (dropped.size) {
    for (const block of fe.ir.blocks) {
      const states = fe.analysis.before[block.id];
      if (!states) continue;
      block.insns.forEach((insn, i) => {
        if (insn.kind !== "helper") return;
        const route = helperRoute(insn.helperId);
        const m = route?.mapArg === undefined ? undefined : states[i].regs[insn.args[route.mapArg]];
        if (m?.k === "map" && dropped.has(m.map) && !checker.found.has(insn)) {
          checker.found.set(insn, { origin: insn.origin, rule: "mapCount", reason: `map '${fe.maps[m.map].name}' does not fit the card's ${preset.offload.maxMaps} tables of ${preset.offload.maxMapEntries} entries in all` });
        }
      });
    }
  }
  // The eBPF stack against the card's limit, first as the kernel counts it (the deepest call chain),
  // then the compiler's own frames, which are larger where it could not bound an access; what does
  // not fit local memory goes to the thread's scratch window (stack-homes.ts), so local memory is no limit here.
  const stackLimit = preset.offload.stackBytes;
  const calls = deepestCallChain(fe.ir, fe.layout);
  const stackBytes = calls.bytes;
  const nicFramesBytes = fe.layout.framesEndBytes - RESERVED_BYTES;
  const stackReason =
    stackBytes > stackLimit ? kernelStackReason(calls, stackLimit) : nicFramesBytes > stackLimit ? nicFramesReason(fe, nicFramesBytes, stackLimit) : undefined;
  const tooDeep = stackReason !== undefined;
  const entryReason = entryProgramReason(fe.source);

  // Where each blocked point moves the packet to the host: the point itself in frame 0,
  // the outermost call site for a point inside an inlined function.
  const callSites = new Map<number, { block: number; index: number }>();
  fe.ir.blocks.forEach((block) => block.insns.forEach((insn, i) => {
    if (insn.kind === "call") callSites.set(insn.calleeFrame, { block: block.id, index: i });
  }));
  const outermost = (frame: number): number => {
    let f = frame;
    while (fe.ir.frames[f].parent !== undefined && fe.ir.frames[f].parent !== 0) f = fe.ir.frames[f].parent!;
    return f;
  };
  const cuts = new Map<number, number>();
  const cutAt = (block: number, index: number): void => {
    const old = cuts.get(block);
    if (old === undefined || index < old) cuts.set(block, index);
  };
  if (tooDeep || entryReason !== undefined) cutAt(0, 0);
  fe.ir.blocks.forEach((block) => {
    if (!fe.analysis.before[block.id]) return;
    const at = (item: IrInsn | IrTerm, index: number, frame: number): void => {
      if (!checker.found.has(item)) return;
      if (frame === 0) cutAt(block.id, index);
      else {
        const site = callSites.get(outermost(frame))!;
        cutAt(site.block, site.index);
      }
    };
    block.insns.forEach((insn, i) => at(insn, i, insn.origin.frame));
    const t = block.term;
    if (t.kind === "branch" || t.kind === "exit" || t.kind === "stop") at(t, block.insns.length, t.origin.frame);
  });

  const insns = fe.source.insns;
  const byPc = new Map<number, Blocker>();
  for (const found of checker.found.values()) {
    if (byPc.has(found.origin.pc)) continue;
    const line = sourceLineAt(fe.source, found.origin.pc);
    byPc.set(found.origin.pc, {
      pc: found.origin.pc,
      disassembly: disassembleAt(insns, found.origin.pc),
      ...(line ? { source: line } : {}),
      rule: found.rule,
      reason: `${found.reason}.`.replace(/\.\.$/, "."),
      ruleSource: rules[found.rule].source,
      hostResumePc: found.origin.resumePc,
    });
  }
  if (entryReason !== undefined) {
    const line = sourceLineAt(fe.source, 0);
    byPc.set(-2, {
      pc: 0,
      disassembly: disassembleAt(insns, 0),
      ...(line ? { source: line } : {}),
      rule: "mapEntryProgram",
      reason: `${entryReason}.`,
      ruleSource: rules.mapEntryProgram.source,
      hostResumePc: 0,
    });
  }
  if (stackReason !== undefined) {
    byPc.set(-1, {
      pc: 0,
      disassembly: disassembleAt(insns, 0),
      rule: "stack",
      reason: `${stackReason}.`,
      ruleSource: rules.stack.source,
      hostResumePc: 0,
    });
  }
  const reachablePcs = new Set<number>();
  fe.ir.blocks.forEach((b) => {
    if (!fe.analysis.before[b.id]) return;
    b.insns.forEach((i) => reachablePcs.add(i.origin.pc));
    if (b.term.kind !== "goto") reachablePcs.add(b.term.origin.pc);
  });
  const blockers = [...byPc.values()].sort((a, b) => a.pc - b.pc);
  const maps: MapCapability[] = fe.maps.map((def, index) => {
    const reasons = [...(checker.mapProblems.get(index) ?? [])];
    if (dropped.has(index)) reasons.push(`it does not fit the card's map capacity`);
    return {
      index,
      name: def.name,
      type: mapTypeName(def.type),
      keyBytes: def.keySize,
      valueBytes: def.valueSize,
      maxEntries: def.maxEntries,
      usedOnNic: checker.mapsUsed.has(index) && !dropped.has(index),
      offloadable: reasons.length === 0,
      reasons,
    };
  });
  return {
    report: {
      program: fe.source.name ?? "program",
      preset: preset.name,
      instructions: countInstructions(insns),
      reachableInstructions: reachablePcs.size,
      blockers,
      maps,
      stackBytes,
      stackLimitBytes: stackLimit,
      fullyOffloadable: blockers.length === 0,
    },
    cuts,
  };
}

function countInstructions(insns: Program): number {
  let n = 0;
  for (let pc = 0; pc < insns.length; pc++) {
    n++;
    if (insns[pc].opcode === 0x18) pc++;
  }
  return n;
}

export function checkCapabilities(program: OffloadSource | Program, maps: readonly MapDef[], preset: Preset, verifierFacts?: VerifierFacts): CapabilityReport {
  return findBlockers(frontEnd(program, maps, verifierFacts), preset).report;
}

export { frameOf, FRAME_POINTER_REG };
