// The reference interpreter: the definition of what an eBPF program does.
// One loop over the program's 8-byte slots (the pc counts slots, as jump
// offsets and the kernel do); each class of instruction is one short function
// below. A run ends at the main program's exit or at a fault, which is a value
// carrying the pc: nothing the program does throws out of this loop.
// Semantics: RFC 9669 and the Linux kernel (kernel/bpf/core.c ___bpf_prog_run);
// see docs/interpreter.md.
import {
  AluOp,
  AtomicOp,
  Class,
  FRAME_POINTER,
  JmpOp,
  LDDW,
  Mode,
  PseudoCall,
  PseudoLd,
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
import { lddwValue, type Insn, type Program } from "../ebpf/instruction.ts";
import { mapHandleAddress } from "../helpers/map-handles.ts";
import { helperName, helperPrototype } from "../helpers/prototypes.ts";
import { linkedExterns } from "../elf/link-program.ts";
import { kfuncImplementations } from "../helpers/kfunc-implementations.ts";
import type { CallbackLoop, CallbackStep, HelperImplementation, HelperOutcome, RunEvent } from "../helpers/runtime.ts";
import { alu32, alu64, byteOrder } from "./alu.ts";
import { DEFAULT_MAX_STEPS, type RunEnv, type RunOptions, type RunResult } from "./env.ts";
import { isMemoryAccessError, memoryFault, type Fault } from "./fault.ts";
import { condition } from "./jump.ts";
import { MAX_CALL_FRAMES, createMachine, newRegisters, newStack, type Frame, type Machine } from "./machine.ts";
import { Segment, segmentBase } from "./memory.ts";
import { immAsU64, signExtend, u32, u64 } from "./u64.ts";

type End = { readonly kind: "exit"; readonly r0: bigint } | { readonly kind: "fault"; readonly fault: Fault };
export type Step = { readonly kind: "next"; readonly pc: number } | End;

const next = (pc: number): Step => ({ kind: "next", pc });
const failed = (fault: Fault): End => ({ kind: "fault", fault });

export function run(program: Program, env: RunEnv = {}, options: RunOptions = {}): RunResult {
  const machine = createMachine(program, env);
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  if (program.length === 0) return finish(machine, failed({ kind: "pc-out-of-range", pc: 0, message: "pc 0: the program is empty" }));
  let pc = env.resume?.pc ?? 0;
  for (;;) {
    const frame = machine.frames[machine.frames.length - 1];
    if (machine.steps >= maxSteps) {
      const message = `pc ${pc}: the run exceeded its budget of ${maxSteps} instructions (a runaway loop?)`;
      return finish(machine, failed({ kind: "budget", pc, message, maxSteps }));
    }
    const insn = frame.program[pc];
    options.onStep?.({ pc, depth: machine.frames.length - 1, insn, next: frame.program[pc + 1], regs: [...frame.regs] });
    machine.steps++;
    const step = execute(machine, frame, insn, pc);
    if (step.kind !== "next") return finish(machine, step);
    // The frame that continues (the caller after an exit, the callee after a call) must hold the target.
    const slots = machine.frames[machine.frames.length - 1].program.length;
    if (!(step.pc >= 0 && step.pc < slots)) {
      const message = step.pc === pc + 1 || step.pc === pc + 2
        ? `pc ${pc}: execution runs past the last instruction (${slots} slots) without an exit`
        : `pc ${pc}: control goes to ${step.pc}, outside the program (${slots} slots)`;
      return finish(machine, failed({ kind: "pc-out-of-range", pc, message }));
    }
    pc = step.pc;
  }
}

function finish(machine: Machine, step: End): RunResult {
  const events = machine.events.filter((event): event is RunEvent => event !== undefined);
  const common = { steps: machine.steps, events, ...(machine.xdp?.redirect ? { redirect: machine.xdp.redirect } : {}) };
  if (step.kind === "exit") return { kind: "exit", r0: step.r0, ...common };
  return { kind: "fault", pc: step.fault.pc, message: step.fault.message, fault: step.fault, ...common };
}

// One instruction in `frame` (exported so that the compiled tier can hand its rare instructions to this definition).
export function execute(machine: Machine, frame: Frame, insn: Insn, pc: number): Step {
  switch (opClass(insn.opcode)) {
    case Class.ALU:
    case Class.ALU64:
      return aluStep(frame, insn, pc);
    case Class.JMP:
    case Class.JMP32:
      return jumpStep(machine, frame, insn, pc);
    case Class.LD:
      return ldStep(machine, frame, insn, pc);
    case Class.LDX:
      return ldxStep(machine, frame, insn, pc);
    case Class.ST:
      return stStep(machine, frame, insn, pc);
    case Class.STX:
      return stxStep(machine, frame, insn, pc);
  }
}

function invalid(pc: number, insn: Insn, why: string): Step {
  const opcode = insn.opcode;
  return failed({ kind: "invalid-instruction", pc, opcode, message: `pc ${pc}: invalid instruction (opcode 0x${opcode.toString(16).padStart(2, "0")}): ${why}` });
}

// Registers r0..r10 exist; r10, the frame pointer, is read-only.
function badRegisters(insn: Insn, use: { writeDst?: boolean; readDst?: boolean; readSrc?: boolean }): string | undefined {
  if (use.writeDst && insn.dst >= FRAME_POINTER) return insn.dst === FRAME_POINTER ? "r10 is read-only" : `there is no register r${insn.dst}`;
  if (use.readDst && insn.dst >= REG_COUNT) return `there is no register r${insn.dst}`;
  if (use.readSrc && insn.src >= REG_COUNT) return `there is no register r${insn.src}`;
  return undefined;
}

// ---- ALU, ALU64 ----

function aluStep(frame: Frame, insn: Insn, pc: number): Step {
  const regs = frame.regs;
  const is64 = opClass(insn.opcode) === Class.ALU64;
  const op = opCode(insn.opcode);
  const fromRegister = opSource(insn.opcode) === Source.X;
  if (op === AluOp.END) {
    const bad = badRegisters(insn, { writeDst: true });
    if (bad) return invalid(pc, insn, bad);
    const swapped = byteOrder(is64, opSource(insn.opcode), insn.imm, regs[insn.dst]);
    if (swapped === undefined) return invalid(pc, insn, `no byte-order operation of width ${insn.imm}`);
    regs[insn.dst] = swapped;
    return next(pc + 1);
  }
  const bad = badRegisters(insn, { writeDst: true, readSrc: fromRegister });
  if (bad) return invalid(pc, insn, bad);
  if (op === AluOp.NEG && fromRegister) return invalid(pc, insn, "neg takes no source register");
  if (op === AluOp.MOV && insn.off !== 0 && !fromRegister) return invalid(pc, insn, "movsx needs a source register");
  if (insn.off !== 0 && op !== AluOp.DIV && op !== AluOp.MOD && op !== AluOp.MOV) {
    return invalid(pc, insn, `offset ${insn.off} is reserved for this operation`);
  }
  const src = fromRegister ? regs[insn.src] : immAsU64(insn.imm);
  const result = is64 ? alu64(op, regs[insn.dst], src, insn.off) : alu32(op, regs[insn.dst], src, insn.off);
  if (result === undefined) return invalid(pc, insn, `no ${is64 ? "64" : "32"}-bit ALU operation 0x${op.toString(16)} with offset ${insn.off}`);
  regs[insn.dst] = result;
  return next(pc + 1);
}

// ---- JMP, JMP32 ----

function jumpStep(machine: Machine, frame: Frame, insn: Insn, pc: number): Step {
  const regs = frame.regs;
  const is32 = opClass(insn.opcode) === Class.JMP32;
  const op = opCode(insn.opcode);
  switch (op) {
    case JmpOp.JA:
      // gotol (JMP32 | JA) carries its 32-bit offset in imm.
      return next(pc + 1 + (is32 ? insn.imm : insn.off));
    case JmpOp.CALL:
      if (is32) return invalid(pc, insn, "call exists only in class JMP");
      return call(machine, frame, insn, pc);
    case JmpOp.EXIT:
      if (is32) return invalid(pc, insn, "exit exists only in class JMP");
      return exit(machine, frame);
  }
  const fromRegister = opSource(insn.opcode) === Source.X;
  const bad = badRegisters(insn, { readDst: true, readSrc: fromRegister });
  if (bad) return invalid(pc, insn, bad);
  const src = fromRegister ? regs[insn.src] : immAsU64(insn.imm);
  const taken = condition(op, is32, regs[insn.dst], src);
  if (taken === undefined) return invalid(pc, insn, `no jump operation 0x${op.toString(16)}`);
  return next(taken ? pc + 1 + insn.off : pc + 1);
}

function exit(machine: Machine, frame: Frame): Step {
  if (machine.frames.length === 1) return { kind: "exit", r0: frame.regs[0] };
  machine.frames.pop();
  const caller = machine.frames[machine.frames.length - 1];
  const callbacks = frame.callbacks;
  if (callbacks) return callBack(machine, caller, callbacks.loop, callbacks.loop.returned(frame.regs[0]), callbacks.helperPc);
  caller.regs[0] = frame.regs[0];
  return next(frame.returnPc);
}

function call(machine: Machine, frame: Frame, insn: Insn, pc: number): Step {
  if (opSource(insn.opcode) === Source.X) return callx(machine, frame, insn, pc);
  switch (insn.src) {
    case PseudoCall.HELPER:
      return callHelper(machine, frame, insn.imm >>> 0, pc);
    case PseudoCall.LOCAL:
      return callLocal(machine, frame, pc + 1 + insn.imm, pc);
    case PseudoCall.KFUNC: {
      const name = externName(machine, frame, pc, "kfunc");
      const implementation = name === undefined ? undefined : kfuncImplementations.get(name);
      if (implementation) return runHelper(machine, frame, implementation, insn.imm, pc);
      const what = name ? `kernel function ${name}` : `kernel function with BTF id ${insn.imm}`;
      return failed({
        kind: "kfunc",
        pc,
        btfId: insn.imm,
        ...(name ? { name } : {}),
        message: `pc ${pc}: call to ${what} (a kfunc): kfuncs are not simulated`,
      });
    }
    default:
      return invalid(pc, insn, `call with unknown source ${insn.src}`);
  }
}

// The name the ELF loader gave a kernel symbol at pc: from the run's externs (main program), or
// from the loader's own record of the linked program the frame runs (a tail-called one too).
function externName(machine: Machine, frame: Frame, pc: number, kind: "kfunc" | "ksym"): string | undefined {
  const given = frame.program === machine.main ? machine.externs.find((e) => e.pc === pc && e.kind === kind)?.name : undefined;
  return given ?? linkedExterns(frame.program)?.find((e) => e.pc === pc && e.kind === kind)?.name;
}

// callx: the register holds either a function address (from ld_imm64 pseudo-func)
// or, as clang -O0 and bpf_conformance use it, a helper id.
function callx(machine: Machine, frame: Frame, insn: Insn, pc: number): Step {
  const bad = badRegisters(insn, { readDst: true });
  if (bad) return invalid(pc, insn, bad);
  const target = frame.regs[insn.dst];
  const functions = segmentBase(Segment.FUNCTIONS);
  if (target >> 32n === functions >> 32n) return callLocal(machine, frame, Number(target - functions), pc);
  if (target <= 0xffff_ffffn) return callHelper(machine, frame, Number(target), pc);
  return invalid(pc, insn, `callx through r${insn.dst} = 0x${target.toString(16)}, which is neither a function nor a helper id`);
}

// A bpf-to-bpf call: a new frame with its own registers and a fresh 512-byte stack;
// r1-r5 carry the arguments, the callee's r0 comes back, r6-r9 of the caller are untouched.
function callLocal(machine: Machine, frame: Frame, target: number, pc: number): Step {
  if (machine.frames.length >= MAX_CALL_FRAMES) {
    return failed({
      kind: "call-depth",
      pc,
      maxFrames: MAX_CALL_FRAMES,
      message: `pc ${pc}: call nesting deeper than ${MAX_CALL_FRAMES} frames`,
    });
  }
  if (!(target >= 0 && target < frame.program.length)) {
    return failed({ kind: "pc-out-of-range", pc, message: `pc ${pc}: call target ${target} is outside the program` });
  }
  const stack = newStack(machine.memory, machine.frames.length);
  const regs = newRegisters(stack);
  for (let r = 1; r <= 5; r++) regs[r] = frame.regs[r];
  machine.frames.push({ program: frame.program, regs, stack, returnPc: pc + 1 });
  return next(target);
}

function callHelper(machine: Machine, frame: Frame, id: number, pc: number): Step {
  const implementation = machine.helpers.get(id);
  if (!implementation) {
    const known = helperPrototype(id);
    const message = known
      ? `pc ${pc}: helper ${helperName(id)} (id ${id}) is not implemented by the simulator`
      : `pc ${pc}: unknown helper id ${id}`;
    return failed({ kind: "unknown-helper", pc, helperId: id, message });
  }
  return runHelper(machine, frame, implementation, id, pc);
}

// A helper's or a kfunc's implementation called with r1..r5; what it returns decides what follows.
function runHelper(machine: Machine, frame: Frame, implementation: HelperImplementation, id: number, pc: number): Step {
  const regs = frame.regs;
  const outcome: HelperOutcome = implementation({ pc, id, args: [regs[1], regs[2], regs[3], regs[4], regs[5]], machine });
  switch (outcome.kind) {
    case "return":
      regs[0] = outcome.value;
      return next(pc + 1);
    case "fall-through":
      return next(pc + 1);
    case "callbacks":
      return callBack(machine, frame, outcome.loop, outcome.loop.first(), pc);
    case "tail-call":
      frame.program = outcome.program;
      return next(0);
    case "misuse":
      return failed({ kind: "helper", pc, helperId: id, message: `pc ${pc}: ${outcome.message}` });
    case "memory":
      return failed(memoryFault(pc, outcome.error));
  }
}

// A helper's next call of its callback (bpf_loop, bpf_for_each_map_elem): a frame of its own above
// the caller's, as a bpf-to-bpf call makes, with r1..r5 from the helper; or, when the helper is done,
// its result in the caller's r0.
function callBack(machine: Machine, caller: Frame, loop: CallbackLoop, step: CallbackStep, helperPc: number): Step {
  if (step.kind === "done") {
    caller.regs[0] = step.value;
    return next(helperPc + 1);
  }
  if (machine.frames.length >= MAX_CALL_FRAMES) {
    return failed({
      kind: "call-depth",
      pc: helperPc,
      maxFrames: MAX_CALL_FRAMES,
      message: `pc ${helperPc}: call nesting deeper than ${MAX_CALL_FRAMES} frames`,
    });
  }
  if (!(loop.target >= 0 && loop.target < caller.program.length)) {
    return failed({ kind: "pc-out-of-range", pc: helperPc, message: `pc ${helperPc}: callback target ${loop.target} is outside the program` });
  }
  const stack = newStack(machine.memory, machine.frames.length);
  const regs = newRegisters(stack);
  for (let r = 1; r <= 5; r++) regs[r] = step.args[r - 1];
  machine.frames.push({ program: caller.program, regs, stack, returnPc: helperPc + 1, callbacks: { loop, helperPc } });
  return next(loop.target);
}

// ---- LD: 64-bit immediates and the legacy packet loads ----

function ldStep(machine: Machine, frame: Frame, insn: Insn, pc: number): Step {
  if (insn.opcode === LDDW) return loadImm64(machine, frame, insn, pc);
  const mode = opMode(insn.opcode);
  if ((mode === Mode.ABS || mode === Mode.IND) && opSize(insn.opcode) !== Size.DW) return legacyPacketLoad(machine, frame, insn, pc);
  return invalid(pc, insn, "no such load");
}

function loadImm64(machine: Machine, frame: Frame, insn: Insn, pc: number): Step {
  const bad = badRegisters(insn, { writeDst: true });
  if (bad) return invalid(pc, insn, bad);
  const program = frame.program;
  if (pc + 1 >= program.length || program[pc + 1].opcode !== 0) return invalid(pc, insn, "ld_imm64 without its second slot");
  const value = pseudoValue(machine, program, insn, pc);
  if (typeof value === "string") return invalid(pc, insn, value);
  frame.regs[insn.dst] = value;
  return next(pc + 2);
}

// What an ld_imm64 loads, by the kind its src field names (include/uapi/linux/bpf.h BPF_PSEUDO_*).
function pseudoValue(machine: Machine, program: Program, insn: Insn, pc: number): bigint | string {
  switch (insn.src) {
    case PseudoLd.IMM64:
      return lddwValue(program, pc);
    case PseudoLd.MAP_FD:
    case PseudoLd.MAP_IDX:
      return machine.maps[insn.imm] ? mapHandleAddress(insn.imm) : `it references map ${insn.imm}, which the run does not have`;
    case PseudoLd.MAP_VALUE:
    case PseudoLd.MAP_IDX_VALUE: {
      const map = machine.maps[insn.imm];
      if (!map) return `it references map ${insn.imm}, which the run does not have`;
      const offset = program[pc + 1].imm >>> 0;
      // Direct value access: the single element of an array map (kernel array_map_direct_value_addr).
      const value = map.lookup(new Uint8Array(map.def.keySize), machine.cpu);
      if (!value || offset >= value.byteLength) return `map '${map.def.name}' has no value byte at offset ${offset}`;
      return machine.memory.regionForView(value, "map-value", `value in map '${map.def.name}'`, true).base + BigInt(offset);
    }
    case PseudoLd.FUNC:
      return segmentBase(Segment.FUNCTIONS) + BigInt(pc + 1 + insn.imm);
    case PseudoLd.BTF_ID: {
      const name = program === machine.main ? machine.externs.find((e) => e.pc === pc && e.kind === "ksym")?.name : undefined;
      return `ld_imm64 of kernel symbol ${name ?? `with BTF id ${insn.imm}`} (__ksym) is not simulated`;
    }
    default:
      return `ld_imm64 with unknown source ${insn.src}`;
  }
}

// LD_ABS / LD_IND: a big-endian load of 1, 2 or 4 bytes at an offset into the
// packet data, into r0. As the kernel's rewrite of these instructions does
// (net/core/filter.c bpf_gen_ld_abs), an offset outside the packet ends the
// program with r0 = 0 instead of faulting.
function legacyPacketLoad(machine: Machine, frame: Frame, insn: Insn, pc: number): Step {
  const indirect = opMode(insn.opcode) === Mode.IND;
  const bad = badRegisters(insn, { readSrc: indirect });
  if (bad) return invalid(pc, insn, bad);
  const packet = packetData(machine);
  if (!packet) return invalid(pc, insn, "LD_ABS/LD_IND needs a packet, and this run has none");
  const size = sizeBytes[opSize(insn.opcode)];
  // The offset reaches the kernel's load helper as an int.
  const offset = Number(BigInt.asIntN(32, (indirect ? frame.regs[insn.src] : 0n) + BigInt(insn.imm)));
  if (offset < 0 || offset + size > packet.length) return { kind: "exit", r0: 0n };
  let value = 0n;
  for (let i = 0; i < size; i++) value = (value << 8n) | BigInt(packet[offset + i]);
  frame.regs[0] = value;
  return next(pc + 1);
}

function packetData(machine: Machine): Uint8Array | undefined {
  if (machine.xdp) {
    const buffer = machine.xdp.buffer;
    return buffer.frame.subarray(buffer.data, buffer.dataEnd);
  }
  const input = machine.memory.regionAt(segmentBase(Segment.INPUT));
  return input?.bytes;
}

// ---- LDX, ST, STX ----

const effectiveAddress = (base: bigint, off: number): bigint => u64(base + BigInt(off));

function ldxStep(machine: Machine, frame: Frame, insn: Insn, pc: number): Step {
  const mode = opMode(insn.opcode);
  if (mode !== Mode.MEM && mode !== Mode.MEMSX) return invalid(pc, insn, "no such LDX mode");
  const size = sizeBytes[opSize(insn.opcode)];
  if (mode === Mode.MEMSX && size === 8) return invalid(pc, insn, "sign-extending loads are 1, 2 or 4 bytes");
  const bad = badRegisters(insn, { writeDst: true, readSrc: true });
  if (bad) return invalid(pc, insn, bad);
  const loaded = machine.memory.load(effectiveAddress(frame.regs[insn.src], insn.off), size);
  if (isMemoryAccessError(loaded)) return failed(memoryFault(pc, loaded));
  frame.regs[insn.dst] = mode === Mode.MEMSX ? signExtend(loaded, size * 8) : loaded;
  return next(pc + 1);
}

function stStep(machine: Machine, frame: Frame, insn: Insn, pc: number): Step {
  if (opMode(insn.opcode) !== Mode.MEM) return invalid(pc, insn, "no such ST mode");
  const bad = badRegisters(insn, { readDst: true });
  if (bad) return invalid(pc, insn, bad);
  const size = sizeBytes[opSize(insn.opcode)];
  const refused = machine.memory.store(effectiveAddress(frame.regs[insn.dst], insn.off), size, immAsU64(insn.imm));
  return refused ? failed(memoryFault(pc, refused)) : next(pc + 1);
}

function stxStep(machine: Machine, frame: Frame, insn: Insn, pc: number): Step {
  const mode = opMode(insn.opcode);
  if (mode === Mode.ATOMIC) return atomicStep(machine, frame, insn, pc);
  if (mode !== Mode.MEM) return invalid(pc, insn, "no such STX mode");
  const bad = badRegisters(insn, { readDst: true, readSrc: true });
  if (bad) return invalid(pc, insn, bad);
  const size = sizeBytes[opSize(insn.opcode)];
  const refused = machine.memory.store(effectiveAddress(frame.regs[insn.dst], insn.off), size, frame.regs[insn.src]);
  return refused ? failed(memoryFault(pc, refused)) : next(pc + 1);
}

// Atomic read-modify-write on 4 or 8 bytes (RFC 9669 §5.3). The fetch variants and
// xchg put the old value in src, cmpxchg in r0; 32-bit forms zero-extend it.
function atomicStep(machine: Machine, frame: Frame, insn: Insn, pc: number): Step {
  const size = sizeBytes[opSize(insn.opcode)];
  if (size !== 4 && size !== 8) return invalid(pc, insn, "atomic operations are 4 or 8 bytes wide");
  const op = insn.imm;
  const fetches = (op & AtomicOp.FETCH) !== 0;
  const writesSrc = fetches && op !== AtomicOp.CMPXCHG;
  const bad = badRegisters(insn, { readDst: true, readSrc: true }) ?? (writesSrc && insn.src === FRAME_POINTER ? "r10 is read-only" : undefined);
  if (bad) return invalid(pc, insn, bad);
  const regs = frame.regs;
  const address = effectiveAddress(regs[insn.dst], insn.off);
  const old = machine.memory.load(address, size);
  if (isMemoryAccessError(old)) return failed(memoryFault(pc, old));
  const width = size === 4 ? u32 : (v: bigint): bigint => v;
  const operand = width(regs[insn.src]);
  let stored: bigint | undefined;
  switch (op & ~AtomicOp.FETCH) {
    case AtomicOp.ADD:
      stored = width(old + operand);
      break;
    case AtomicOp.OR:
      stored = old | operand;
      break;
    case AtomicOp.AND:
      stored = old & operand;
      break;
    case AtomicOp.XOR:
      stored = old ^ operand;
      break;
    case AtomicOp.XCHG & ~AtomicOp.FETCH:
      if (!fetches) return invalid(pc, insn, "xchg always fetches");
      stored = operand;
      break;
    case AtomicOp.CMPXCHG & ~AtomicOp.FETCH: {
      if (!fetches) return invalid(pc, insn, "cmpxchg always fetches");
      const matches = old === width(regs[0]);
      if (matches) {
        const refused = machine.memory.store(address, size, operand);
        if (refused) return failed(memoryFault(pc, refused));
      }
      regs[0] = old;
      return next(pc + 1);
    }
    default:
      return invalid(pc, insn, `no atomic operation 0x${op.toString(16)}`);
  }
  const refused = machine.memory.store(address, size, stored);
  if (refused) return failed(memoryFault(pc, refused));
  if (fetches) regs[insn.src] = old;
  return next(pc + 1);
}
