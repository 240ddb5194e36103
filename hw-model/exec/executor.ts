// The functional executor: runs a packet through the image's stages, one
// instruction at a time on one thread context, to its end (a verdict, the host,
// or a fault), and writes the packet's work trace for the timing model.
//
// Memory commands complete at once here (time is the timing model's business),
// but their discipline is checked as the hardware would need it: a transfer
// register is busy from the command that uses it until its signal is waited for,
// and touching it meanwhile is a fault; waiting for a signal nothing will raise
// is a fault (the thread would sleep forever); a stage may not end with a
// command outstanding. Registers and local memory a handover does not carry are
// poisoned in the next stage, so code that relies on them shows up wrong.
import { Op, Flag, opInfo, carryLm, carryScratch } from "../isa/opcode.ts";
import { F_A, F_B, F_C, F_D, F_FLAGS, F_IMM, F_N, F_OP, F_X, STRIDE, type Microprogram } from "../isa/instruction.ts";
import { IMM, NONE, REG_COUNT, X0, XFER_REGS, registerName } from "../isa/register.ts";
import { Csr } from "../isa/csr.ts";
import type { ExecParams } from "./params.ts";
import { EndKind, TARGET_PACKET_HEAD, TARGET_PACKET_TAIL, TraceWriter, type EndKindCode } from "./trace.ts";
import { MemKind, TARGET_THREAD_SCRATCH, type MemKindCode } from "./trace.ts";
import { PacketState } from "./packet.ts";
import { HANDLE_MASK, HANDLE_SHIFT, MAX_HANDLES, OFFSET_MASK, Region, REGION_SHIFT, VALUE_OFFSET_MASK, hexAddress, packetAddress, valueAddress } from "./address.ts";
import { FW_SIGNAL, MicrocodeFault, TARGET_LOCAL, callRoutine, type FirmwareContext, type Located, type PerfEvent } from "../firmware/routines.ts";
import type { MapRuntime } from "../firmware/map-runtime.ts";
import { compileStage, type CompiledStage } from "./compile.ts";

// What a register reads before anything wrote it in this stage.
export const REGISTER_POISON = 0xdeadbeef | 0;
// What a local-memory byte reads before anything wrote it in this stage.
export const LOCAL_MEMORY_POISON = 0xa5;

export interface ExecImage {
  // Stage i's microcode; ring i feeds stage i (a handover to ring i continues there).
  readonly stages: readonly Microprogram[];
  readonly maps: readonly MapRuntime[];
  // Memory-unit instance that stands for the PCIe DMA engine (perf events to the host).
  readonly pcieTarget: number;
}

// Called before each microcode instruction when a stage runs with a hook: the stage, the pc about
// to execute, and the thread's registers (a0..a15, b0..b15, x0..x15 by operand number) as they are
// before it. The array is the executor's own, live: copy what you keep, never write it.
export type InstructionHook = (stage: number, pc: number, regs: Int32Array) => void;

export interface ExecutorOptions {
  // Run every instruction through the reference interpreter (for tests that compare).
  readonly interpretOnly?: boolean;
  // Per-instruction hook (lock-step traces); stages then run on the interpreter, never the compiled code.
  readonly instructionHook?: InstructionHook;
}

export interface PacketInput {
  readonly data: Uint8Array;
  readonly ingressIfindex?: number;
  readonly rxQueueIndex?: number;
}

export type PacketOutcome =
  | { readonly kind: "verdict"; readonly action: number; readonly stage: number }
  | {
      readonly kind: "host";
      readonly stage: number;
      // Registers a0..a15, b0..b15 (operand numbering); only those in liveMask are meaningful.
      readonly registers: Int32Array;
      readonly liveMask: number;
      readonly localMemory: Uint8Array;
      readonly localMemoryOffset: number;
      // The carried bytes of the thread's scratch window (region 4), from scratchOffset.
      readonly scratch: Uint8Array;
      readonly scratchOffset: number;
    }
  | { readonly kind: "fault"; readonly stage: number; readonly pc: number; readonly message: string };

export interface PacketResult {
  readonly outcome: PacketOutcome;
  // The packet's data bytes when it left the NIC program (after any adjust_head/tail and writes).
  readonly data: Uint8Array;
  readonly perfEvents: readonly PerfEvent[];
  readonly instructions: number;
  // Stages the packet ran, in order.
  readonly stagePath: readonly number[];
}

const u32 = (v: number): number => v >>> 0;

// A packet's perf events before its first one (never written: emitPerfEvent starts a new array).
const NO_PERF_EVENTS: PerfEvent[] = [];

export class Executor implements FirmwareContext {
  readonly packet: PacketState;
  trace: TraceWriter = new TraceWriter();
  readonly pcieTarget: number;
  readonly maps: readonly MapRuntime[];
  private readonly stages: readonly Microprogram[];
  // Thread context. Compiled stages (compile.ts) read and write the registers, local memory, its
  // index registers, the flags and the instruction count directly.
  readonly regs = new Int32Array(REG_COUNT);
  readonly lm: Uint8Array;
  readonly lmIndex = new Int32Array(2);
  // The thread's scratch window (address region 4); poisoned like local memory.
  readonly scratch: Uint8Array;
  private scratchDirty = true;
  flagZ = 0;
  flagN = 0;
  flagC = 0;
  flagV = 0;
  private mulA = 0;
  private mulB = 0;
  // 0 idle, 1..4 after mul_start and each step, 5 product ready.
  private mulState = 0;
  private sigPending = 0;
  private xferBusy = 0;
  private readonly xferSignal = new Int8Array(XFER_REGS);
  // Per-packet state.
  // Views of the first handleCount entries are the packet's live map values.
  private readonly handleViews: Uint8Array[] = [];
  private readonly handleMap = new Int32Array(MAX_HANDLES);
  private handleCount = 0;
  private perfEvents: PerfEvent[] = NO_PERF_EVENTS;
  // Stages the packet ran, in order.
  private stagePath = new Int32Array(8);
  private stagePathLength = 0;
  // False while every local-memory byte holds the poison (nothing wrote it since it was poisoned).
  lmDirty = true;
  instructions = 0;
  // How the last packet ended (execute()).
  lastEnd: EndKindCode = EndKind.VERDICT;
  lastAction = 0;
  lastDataBytes = 0;
  private lastStage = 0;
  private lastFaultPc = 0;
  private lastFaultMessage = "";
  // Issue cycles not yet in the trace when a compiled stage hands the rest of the stage to the interpreter.
  exitCycles = 0;
  // Per stage: its compiled code, null when it cannot be compiled, undefined before its first packet.
  private readonly compiled: (CompiledStage | null | undefined)[] = [];
  private readonly compiling: boolean;
  private readonly hook: InstructionHook | undefined;
  private randomState: number;
  // Where the last resolve() found its bytes.
  private resBuf: Uint8Array = new Uint8Array(0);
  private resOff = 0;
  private resTarget = 0;
  // Set by the terminal instruction of a stage.
  private endKind = 0;
  private endArg = 0;
  private endMask = 0;
  private endLmOffset = 0;
  private endLmBytes = 0;
  private endScratchOffset = 0;
  private endScratchBytes = 0;

  constructor(
    image: ExecImage,
    readonly params: ExecParams,
    seed: number,
    options: ExecutorOptions = {},
  ) {
    // The compiled code has no per-instruction points: a hook means interpreting.
    this.compiling = options.interpretOnly !== true && options.instructionHook === undefined;
    this.hook = options.instructionHook;
    this.stages = image.stages;
    this.maps = image.maps;
    this.pcieTarget = image.pcieTarget;
    this.lm = new Uint8Array(params.localMemoryBytesPerThread);
    this.scratch = new Uint8Array(params.scratchBytesPerThread);
    this.packet = new PacketState(params.packetHeadroomBytes + params.maxFrameBytes + params.packetTailroomBytes);
    // xorshift32 needs a non-zero state.
    this.randomState = (seed | 0) === 0 ? 0x9e3779b9 | 0 : seed | 0;
  }

  // Runs one packet through the stages from stage 0, writing its work trace into `trace`.
  runPacket(input: PacketInput, trace: TraceWriter = this.trace): PacketResult {
    this.execute(input, trace);
    return this.lastResult();
  }

  // Runs one packet as runPacket does but builds no result: returns how its last stage ended
  // (EndKind.VERDICT, HOST or FAULT), with the verdict's action in lastAction and the packet's
  // length in lastDataBytes. lastResult() gives the full result until the next packet runs.
  execute(input: PacketInput, trace: TraceWriter = this.trace): EndKindCode {
    this.trace = trace;
    trace.reset();
    const p = this.params;
    this.packet.load(input.data, p.packetHeadroomBytes, p.maxFrameBytes + p.packetTailroomBytes, input.ingressIfindex ?? 0, input.rxQueueIndex ?? 0);
    this.handleCount = 0;
    this.perfEvents = NO_PERF_EVENTS;
    this.instructions = 0;
    this.stagePathLength = 0;
    this.poisonAll();
    let stage = 0;
    for (;;) {
      if (this.stagePathLength === this.stagePath.length) {
        const grown = new Int32Array(this.stagePath.length * 2);
        grown.set(this.stagePath);
        this.stagePath = grown;
      }
      this.stagePath[this.stagePathLength++] = stage;
      this.lastStage = stage;
      trace.stage(stage);
      try {
        this.runStage(stage);
      } catch (e) {
        if (!(e instanceof MicrocodeFault)) throw e;
        trace.end(EndKind.FAULT, 0, 0);
        this.lastFaultPc = this.faultPc;
        this.lastDataBytes = this.packet.length;
        this.lastFaultMessage = e.message;
        return (this.lastEnd = EndKind.FAULT);
      }
      if (this.endKind === EndKind.HANDOVER) {
        const next = this.endArg;
        const bytes = 4 * popcount(this.endMask) + this.endLmBytes + this.endScratchBytes + p.ringDescriptorBytes;
        trace.end(EndKind.HANDOVER, next, bytes);
        this.carryOver(this.endMask, this.endLmOffset, this.endLmBytes);
        this.scratch.fill(LOCAL_MEMORY_POISON, 0, this.endScratchOffset);
        this.scratch.fill(LOCAL_MEMORY_POISON, this.endScratchOffset + this.endScratchBytes);
        stage = next;
        continue;
      }
      this.lastDataBytes = this.packet.length;
      if (this.endKind === EndKind.HOST) {
        const bytes = 4 * popcount(this.endMask) + this.endLmBytes + this.endScratchBytes + p.ringDescriptorBytes + this.packet.length;
        trace.end(EndKind.HOST, 0, bytes);
        return (this.lastEnd = EndKind.HOST);
      }
      trace.end(EndKind.VERDICT, this.endArg, this.packet.length);
      this.lastAction = this.endArg;
      return (this.lastEnd = EndKind.VERDICT);
    }
  }

  // The result of the packet execute() ran last (its data, registers and local memory copied now).
  lastResult(): PacketResult {
    const stage = this.lastStage;
    let outcome: PacketOutcome;
    if (this.lastEnd === EndKind.FAULT) outcome = { kind: "fault", stage, pc: this.lastFaultPc, message: this.lastFaultMessage };
    else if (this.lastEnd === EndKind.HOST) {
      outcome = {
        kind: "host",
        stage,
        registers: this.regs.slice(0, X0),
        liveMask: this.endMask,
        localMemory: this.lm.slice(this.endLmOffset, this.endLmOffset + this.endLmBytes),
        localMemoryOffset: this.endLmOffset,
        scratch: this.scratch.slice(this.endScratchOffset, this.endScratchOffset + this.endScratchBytes),
        scratchOffset: this.endScratchOffset,
      };
    } else outcome = { kind: "verdict", action: this.endArg, stage };
    const stagePath: number[] = [];
    for (let i = 0; i < this.stagePathLength; i++) stagePath.push(this.stagePath[i]);
    return { outcome, data: this.packet.data(), perfEvents: this.perfEvents === NO_PERF_EVENTS ? [] : this.perfEvents, instructions: this.instructions, stagePath };
  }

  private poisonAll(): void {
    // A loop, not fill(): the builtin's call costs more than 48 stores.
    const regs = this.regs;
    for (let r = 0; r < REG_COUNT; r++) regs[r] = REGISTER_POISON;
    if (this.lmDirty) {
      this.lm.fill(LOCAL_MEMORY_POISON);
      this.lmDirty = false;
    }
    if (this.scratchDirty) {
      this.scratch.fill(LOCAL_MEMORY_POISON);
      this.scratchDirty = false;
    }
    this.resetControl();
  }

  private resetControl(): void {
    this.lmIndex[0] = 0;
    this.lmIndex[1] = 0;
    this.flagZ = this.flagN = this.flagC = this.flagV = 0;
    this.mulState = 0;
    this.sigPending = 0;
    this.xferBusy = 0;
  }

  // The next stage starts with only the carried registers and local-memory bytes.
  private carryOver(mask: number, lmOffset: number, lmBytes: number): void {
    for (let r = 0; r < REG_COUNT; r++) if (r >= X0 || ((mask >>> r) & 1) === 0) this.regs[r] = REGISTER_POISON;
    this.lm.fill(LOCAL_MEMORY_POISON, 0, lmOffset);
    this.lm.fill(LOCAL_MEMORY_POISON, lmOffset + lmBytes);
    this.resetControl();
  }

  private faultPc = 0;
  // The pc being executed (for faults raised by operand access).
  pcNow = 0;

  // Small enough for the JIT to inline: general registers directly, the rest through the checked path.
  private rd(o: number, imm: number): number {
    return o < X0 ? this.regs[o] : this.readOperand(o, imm);
  }

  private wr(o: number, value: number): void {
    if (o >= 0 && o < X0) this.regs[o] = value | 0;
    else this.writeOperand(o, value);
  }

  // Reads a source operand, checking transfer registers are not in flight.
  private readOperand(o: number, imm: number): number {
    if (o === IMM) return imm;
    if (o >= X0 && ((this.xferBusy >>> (o - X0)) & 1) !== 0) {
      this.fault(this.pcNow, `${registerName(o)} is read before signal s${this.xferSignal[o - X0]} of its memory command was waited for`);
    }
    return this.regs[o];
  }

  private writeOperand(o: number, value: number): void {
    if (o === NONE) return;
    if (o >= X0 && ((this.xferBusy >>> (o - X0)) & 1) !== 0) {
      this.fault(this.pcNow, `${registerName(o)} is overwritten while its memory command (signal s${this.xferSignal[o - X0]}) is in flight`);
    }
    this.regs[o] = value | 0;
  }

  private fault(pc: number, message: string): never {
    this.faultPc = pc;
    throw new MicrocodeFault(`pc ${pc} (${this.describe(pc)}): ${message}`);
  }

  private describe(pc: number): string {
    return opInfo[this.currentCode[pc * STRIDE + F_OP]]?.mnemonic ?? "?";
  }

  private currentCode: Int32Array = new Int32Array(0);

  // --- FirmwareContext ---

  locate(address: number, bytes: number, what: string): Located {
    if (regionOf(address) === Region.LOCAL) {
      const off = address & OFFSET_MASK;
      if (off + bytes > this.lm.length) throw new MicrocodeFault(`${what} at ${hexAddress(address)} (${bytes} bytes) is outside local memory (${this.lm.length} bytes)`);
      // Routines only read what they locate; counted as written all the same, to be safe.
      this.lmDirty = true;
      return { view: this.lm.subarray(off, off + bytes), target: TARGET_LOCAL };
    }
    this.resolveOrThrow(address, bytes, what, false);
    return { view: this.resBuf.subarray(this.resOff, this.resOff + bytes), target: this.resTarget };
  }

  valueHandle(mapIndex: number, view: Uint8Array): number {
    for (let h = 0; h < this.handleCount; h++) {
      const v = this.handleViews[h];
      if (this.handleMap[h] === mapIndex && v.buffer === view.buffer && v.byteOffset === view.byteOffset && v.length === view.length) return valueAddress(h, 0);
    }
    if (this.handleCount >= MAX_HANDLES) throw new MicrocodeFault(`more than ${MAX_HANDLES} map values were looked up by one packet`);
    const h = this.handleCount++;
    this.handleViews[h] = view;
    this.handleMap[h] = mapIndex;
    return valueAddress(h, 0);
  }

  // The map value the last packet was handed as handle `h` (for a host stage resuming it), if any.
  valueOfHandle(h: number): { readonly mapIndex: number; readonly view: Uint8Array } | undefined {
    return h >= 0 && h < this.handleCount ? { mapIndex: this.handleMap[h], view: this.handleViews[h] } : undefined;
  }

  nextRandom(): number {
    let x = this.randomState;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.randomState = x | 0;
    return x | 0;
  }

  emitPerfEvent(event: PerfEvent): void {
    if (this.perfEvents === NO_PERF_EVENTS) this.perfEvents = [];
    this.perfEvents.push(event);
  }

  // Finds `bytes` at a packet or map-value address; sets resBuf/resOff/resTarget or throws.
  private resolveOrThrow(address: number, bytes: number, what: string, atomic: boolean): void {
    const region = address >>> REGION_SHIFT;
    if (region === Region.PACKET) {
      if (atomic) throw new MicrocodeFault(`${what}: atomic commands do not work on packet memory (${hexAddress(address)})`);
      const off = address & OFFSET_MASK;
      const p = this.packet;
      if (off < p.metaStart || off + bytes > p.dataEnd) {
        throw new MicrocodeFault(`${what} of ${bytes} bytes at ${hexAddress(address)} is outside the packet (buffer bytes ${p.metaStart}..${p.dataEnd - 1})`);
      }
      this.resBuf = p.buffer;
      this.resOff = off;
      this.resTarget = off + bytes <= this.params.ctmPacketBytes ? TARGET_PACKET_HEAD : TARGET_PACKET_TAIL;
      return;
    }
    if (region === Region.MAP_VALUE) {
      const h = (address >>> HANDLE_SHIFT) & HANDLE_MASK;
      const off = address & VALUE_OFFSET_MASK;
      if (h >= this.handleCount) throw new MicrocodeFault(`${what} at ${hexAddress(address)}: no map value was handed out as handle ${h}`);
      const view = this.handleViews[h];
      if (off + bytes > view.length) throw new MicrocodeFault(`${what} of ${bytes} bytes at offset ${off} runs past the ${view.length}-byte map value`);
      this.resBuf = view;
      this.resOff = off;
      this.resTarget = this.maps[this.handleMap[h]].target;
      return;
    }
    if (region === Region.SCRATCH) {
      const off = address & OFFSET_MASK;
      const s = this.scratch;
      if (off + bytes > s.length) throw new MicrocodeFault(`${what} of ${bytes} bytes at ${hexAddress(address)} is outside the thread's ${s.length}-byte scratch window`);
      this.scratchDirty = true;
      this.resBuf = s;
      this.resOff = off;
      this.resTarget = TARGET_THREAD_SCRATCH;
      return;
    }
    if (region === Region.LOCAL) throw new MicrocodeFault(`${what} at ${hexAddress(address)} is local memory, which memory commands cannot reach (use lm_ld/lm_st)`);
    throw new MicrocodeFault(`${what} at ${hexAddress(address)} is not in any memory region${address === 0 ? " (a null pointer)" : ""}`);
  }

  // --- Instructions shared by the interpreter and compiled stages (compile.ts) ---
  // Each takes the instruction's pc and the issue cycles not yet written to the trace.

  mulStep(pc: number): void {
    if (this.mulState < 1 || this.mulState > 4) this.fault(pc, this.mulState === 0 ? "mul_step without mul_start" : "more than four mul_step after mul_start");
    this.mulState++;
  }

  // The product's low or high word, once the four steps are done.
  mulProduct(pc: number, high: boolean): number {
    if (this.mulState !== 5) this.fault(pc, `the product is read after ${Math.max(0, this.mulState - 1)} of the four mul_step`);
    return high ? mulHigh(this.mulA, this.mulB) : Math.imul(this.mulA, this.mulB);
  }

  mulStart(a: number, b: number): void {
    this.mulA = a;
    this.mulB = b;
    this.mulState = 1;
  }

  returnFault(pc: number, target: number): never {
    return this.fault(pc, `return address ${target} is outside the program`);
  }

  localMemoryFault(pc: number, access: "read" | "write", width: number, addr: number): never {
    return this.fault(pc, `local-memory ${access} of ${width} bytes at ${addr} is outside the thread's ${this.lm.length} bytes`);
  }

  // mem_rd / mem_wr of packet memory from compiled code, the instruction's fields decoded at compile
  // time: memCommand's work for its most common case. Returns false, having changed nothing, when the
  // case is any other (another region, out of bounds, a signal or transfer register in flight): the
  // caller then runs memCommand, which handles it or faults with its message.
  packetMemCommand(pc: number, cycles: number, address: number, bytes: number, xk: number, sig: number, le: boolean, swap: boolean, write: boolean): boolean {
    if (((this.sigPending >>> sig) & 1) !== 0 || address >>> REGION_SHIFT !== Region.PACKET) return false;
    const off = address & OFFSET_MASK;
    const p = this.packet;
    if (off < p.metaStart || off + bytes > p.dataEnd) return false;
    const words = bytes < 4 ? 1 : bytes >> 2;
    if (xk < X0 || xk - X0 + words > XFER_REGS || (this.xferBusy & (((1 << words) - 1) << (xk - X0))) !== 0) return false;
    this.pcNow = pc;
    const regs = this.regs;
    if (write) storeWords(p.buffer, off, bytes, le, regs, xk);
    else {
      for (let w = 0; w < words; w++) regs[xk + w] = 0;
      loadWords(p.buffer, off, bytes, le, regs, xk);
    }
    this.issued(cycles, off + bytes <= this.params.ctmPacketBytes ? TARGET_PACKET_HEAD : TARGET_PACKET_TAIL, bytes, write ? MemKind.WRITE : MemKind.READ, sig, xk, words, swap);
    return true;
  }

  // A memory command's record in the trace (after `cycles` of issue), and its signal: waited for at once
  // (swap), or in flight with its transfer registers busy until a wait.
  private issued(cycles: number, target: number, bytes: number, kind: MemKindCode, sig: number, xk: number, words: number, swap: boolean): void {
    const trace = this.trace;
    trace.run(cycles);
    trace.mem(target, bytes, kind, sig);
    if (swap) trace.wait(1 << sig);
    else {
      this.sigPending |= 1 << sig;
      for (let w = 0; w < words; w++) {
        this.xferBusy |= 1 << (xk - X0 + w);
        this.xferSignal[xk - X0 + w] = sig;
      }
    }
  }

  memCommand(pc: number, cycles: number): void {
    this.pcNow = pc;
    const code = this.currentCode;
    const regs = this.regs;
    const at = pc * STRIDE;
    const op = code[at + F_OP];
    const xk = code[at + F_D];
    const bytes = code[at + F_C];
    const sig = code[at + F_X];
    const flags = code[at + F_FLAGS];
    const le = (flags & Flag.LE) !== 0;
    const words = bytes < 4 ? 1 : bytes >> 2;
    if ((this.sigPending >>> sig) & 1) this.fault(pc, `signal s${sig} is reused while a command on it is still in flight`);
    const address = (this.rd(code[at + F_A], 0) + code[at + F_IMM]) | 0;
    const atomic = op !== Op.MEM_RD && op !== Op.MEM_WR;
    try {
      this.resolveOrThrow(address, bytes, opInfo[op].mnemonic, atomic);
    } catch (e) {
      if (e instanceof MicrocodeFault) this.fault(pc, e.message);
      throw e;
    }
    const buf = this.resBuf;
    const off = this.resOff;
    if (op === Op.MEM_RD) {
      for (let w = 0; w < words; w++) this.wr(xk + w, 0);
      loadWords(buf, off, bytes, le, regs, xk);
    } else if (op === Op.MEM_WR) {
      for (let w = 0; w < words; w++) this.rd(xk + w, 0);
      storeWords(buf, off, bytes, le, regs, xk);
    } else if (op === Op.MEM_TAS) {
      const bits = this.rd(xk, 0);
      const old = getWord(buf, off, le);
      setWord(buf, off, le, old | bits);
      regs[xk] = old;
    } else {
      const returnsOld = op === Op.MEM_TADD;
      if (bytes === 4) {
        const addend = this.rd(xk, 0);
        const old = getWord(buf, off, le);
        setWord(buf, off, le, (old + addend) | 0);
        if (returnsOld) regs[xk] = old;
      } else {
        const x0 = this.rd(xk, 0);
        const x1 = this.rd(xk + 1, 0);
        const w0 = getWord(buf, off, le);
        const w1 = getWord(buf, off + 4, le);
        // Memory order is word0 then word1; big-endian puts the high half first.
        const oldHi = le ? w1 : w0;
        const oldLo = le ? w0 : w1;
        const addHi = le ? x1 : x0;
        const addLo = le ? x0 : x1;
        const lo = u32(oldLo) + u32(addLo);
        const hi = (oldHi + addHi + (lo > 0xffffffff ? 1 : 0)) | 0;
        setWord(buf, off, le, le ? lo | 0 : hi);
        setWord(buf, off + 4, le, le ? hi : lo | 0);
        if (returnsOld) {
          regs[xk] = w0;
          regs[xk + 1] = w1;
        }
      }
    }
    this.issued(cycles, this.resTarget, bytes, op === Op.MEM_RD ? MemKind.READ : op === Op.MEM_WR ? MemKind.WRITE : MemKind.ATOMIC, sig, xk, words, (flags & Flag.SWAP) !== 0);
  }

  ctxArb(pc: number, cycles: number): void {
    this.pcNow = pc;
    const mask = this.currentCode[pc * STRIDE + F_X];
    const missing = mask & ~this.sigPending;
    if (missing) this.fault(pc, `waits for ${signalNames(missing)}, which no command in flight will raise`);
    this.sigPending &= ~mask;
    for (let k = 0; k < XFER_REGS; k++) if ((this.xferBusy >>> k) & 1 && (mask >>> this.xferSignal[k]) & 1) this.xferBusy &= ~(1 << k);
    this.trace.run(cycles);
    this.trace.wait(mask);
  }

  fwcall(pc: number, cycles: number): void {
    this.pcNow = pc;
    const code = this.currentCode;
    const at = pc * STRIDE;
    if ((this.sigPending >>> FW_SIGNAL) & 1) this.fault(pc, `fwcall while signal s${FW_SIGNAL}, which firmware routines use, is in flight`);
    const a = code[at + F_A];
    const b = code[at + F_B];
    const cc = code[at + F_C];
    const x = code[at + F_X];
    const arg0 = a === NONE ? 0 : this.rd(a, 0);
    const arg1 = b === NONE ? 0 : this.rd(b, 0);
    const arg2 = cc === NONE ? 0 : this.rd(cc, 0);
    const arg3 = x === NONE ? 0 : this.rd(x, 0);
    this.trace.run(cycles);
    let result = 0;
    try {
      result = callRoutine(this, code[at + F_N], code[at + F_IMM], arg0, arg1, arg2, arg3);
    } catch (e) {
      if (e instanceof MicrocodeFault) this.fault(pc, e.message);
      throw e;
    }
    this.wr(code[at + F_D], result);
  }

  // handover or to_host.
  endStage(pc: number, cycles: number): void {
    this.pcNow = pc;
    const code = this.currentCode;
    const at = pc * STRIDE;
    const lmBytes = this.lm.length;
    if (this.sigPending) this.fault(pc, `the stage ends with ${signalNames(this.sigPending)} still in flight`);
    const lmOffset = carryLm(code[at + F_X]);
    const lmCarry = carryLm(code[at + F_C]);
    const scratchOffset = carryScratch(code[at + F_X]);
    const scratchCarry = carryScratch(code[at + F_C]);
    if (scratchOffset + scratchCarry > this.scratch.length) this.fault(pc, `carries scratch ${scratchOffset}..${scratchOffset + scratchCarry - 1}, beyond the thread's ${this.scratch.length}-byte window`);
    if (lmOffset + lmCarry > lmBytes) this.fault(pc, `carries local memory ${lmOffset}..${lmOffset + lmCarry - 1}, beyond the thread's ${lmBytes} bytes`);
    if (code[at + F_OP] === Op.HANDOVER) {
      const ring = code[at + F_N];
      if (ring >= this.stages.length) this.fault(pc, `hands over to ring ${ring}, but the image has stages 0..${this.stages.length - 1}`);
      this.endKind = EndKind.HANDOVER;
      this.endArg = ring;
    } else {
      this.endKind = EndKind.HOST;
      this.endArg = 0;
    }
    this.endMask = code[at + F_IMM];
    this.endLmOffset = lmOffset;
    this.endLmBytes = lmCarry;
    this.endScratchOffset = scratchOffset;
    this.endScratchBytes = scratchCarry;
    this.trace.run(cycles);
  }

  verdict(pc: number, cycles: number): void {
    this.pcNow = pc;
    const at = pc * STRIDE;
    if (this.sigPending) this.fault(pc, `the packet ends with ${signalNames(this.sigPending)} still in flight`);
    const named = this.currentCode[at + F_N];
    this.endKind = EndKind.VERDICT;
    this.endArg = named === -1 ? this.rd(this.currentCode[at + F_A], 0) : named;
    this.trace.run(cycles);
  }

  // Operand access and faults from compiled code, which keeps its instruction count in a local:
  // `count` is the count at this instruction (what the packet reports if it faults here).
  readAt(o: number, imm: number, pc: number, count: number): number {
    this.pcNow = pc;
    this.instructions = count;
    return this.rd(o, imm);
  }

  writeAt(o: number, value: number, pc: number, count: number): void {
    this.pcNow = pc;
    this.instructions = count;
    this.wr(o, value);
  }

  faultAt(pc: number, count: number, message: string): never {
    this.instructions = count;
    return this.fault(pc, message);
  }

  // Runs stage `stage` until its terminal instruction. Faults throw MicrocodeFault.
  private runStage(stage: number): void {
    const program = this.stages[stage];
    if (!program) throw new MicrocodeFault(`stage ${stage} does not exist (the image has ${this.stages.length})`);
    const code = program.code;
    this.currentCode = code;
    let pc = 0;
    let cycles = 0;
    if (this.compiling) {
      let run = this.compiled[stage];
      if (run === undefined) run = this.compiled[stage] = compileStage(code, this.params);
      if (run !== null) {
        pc = run(this, this.regs, this.lm, this.lmIndex, this.instructions);
        // The compiled code ran to the end, or left the rest (from `pc`) to the interpreter.
        if (pc < 0) return;
        cycles = this.exitCycles;
      }
    }
    this.interpret(code, pc, cycles, stage);
  }

  // The reference interpreter: runs the current stage's code from `startPc` (with `startCycles` of
  // issue not yet written to the trace) until its terminal instruction.
  private interpret(code: Int32Array, startPc: number, startCycles: number, stage: number): void {
    const hook = this.hook;
    const length = code.length / STRIDE;
    const regs = this.regs;
    const p = this.params;
    const issue = p.issueCyclesPerInstruction;
    const penalty = p.takenBranchPenaltyCycles;
    const maxInsns = p.maxInstructionsPerPacket;
    const lm = this.lm;
    const lmBytes = lm.length;
    let z = this.flagZ;
    let n = this.flagN;
    let c = this.flagC;
    let v = this.flagV;
    let cycles = startCycles;
    let pc = startPc;
    let count = this.instructions;
    try {
      for (;;) {
        if (pc < 0 || pc >= length) this.fault(pc, `execution ran off the program (${length} instructions) without a verdict or handover`);
        if (++count > maxInsns) this.fault(pc, `the packet ran more than ${maxInsns} instructions (a loop that does not end?)`);
        cycles += issue;
        this.pcNow = pc;
        if (hook !== undefined) hook(stage, pc, regs);
        const at = pc * STRIDE;
        const op = code[at + F_OP];
        switch (op) {
          case Op.NOP:
            pc++;
            break;
          case Op.ADD:
          case Op.ADDC: {
            const a = this.rd(code[at + F_A], code[at + F_IMM]);
            const b = this.rd(code[at + F_B], code[at + F_IMM]);
            const sum = u32(a) + u32(b) + (op === Op.ADDC ? c : 0);
            const r = sum | 0;
            c = sum > 0xffffffff ? 1 : 0;
            v = ((a ^ r) & (b ^ r)) < 0 ? 1 : 0;
            z = r === 0 ? 1 : 0;
            n = r < 0 ? 1 : 0;
            this.wr(code[at + F_D], r);
            pc++;
            break;
          }
          case Op.SUB:
          case Op.SUBC: {
            const a = this.rd(code[at + F_A], code[at + F_IMM]);
            const b = this.rd(code[at + F_B], code[at + F_IMM]);
            const diff = u32(a) - u32(b) - (op === Op.SUBC ? c : 0);
            const r = diff | 0;
            c = diff < 0 ? 1 : 0;
            v = ((a ^ b) & (a ^ r)) < 0 ? 1 : 0;
            z = r === 0 ? 1 : 0;
            n = r < 0 ? 1 : 0;
            this.wr(code[at + F_D], r);
            pc++;
            break;
          }
          case Op.AND:
          case Op.OR:
          case Op.XOR:
          case Op.ANDN: {
            const a = this.rd(code[at + F_A], code[at + F_IMM]);
            const b = this.rd(code[at + F_B], code[at + F_IMM]);
            const r = op === Op.AND ? a & b : op === Op.OR ? a | b : op === Op.XOR ? a ^ b : a & ~b;
            z = r === 0 ? 1 : 0;
            n = r < 0 ? 1 : 0;
            c = v = 0;
            this.wr(code[at + F_D], r);
            pc++;
            break;
          }
          case Op.NOT:
          case Op.MOV: {
            const b = this.rd(code[at + F_B], code[at + F_IMM]);
            const r = op === Op.NOT ? ~b : b;
            z = r === 0 ? 1 : 0;
            n = r < 0 ? 1 : 0;
            c = v = 0;
            this.wr(code[at + F_D], r);
            pc++;
            break;
          }
          case Op.SHL:
          case Op.SHR:
          case Op.ASR:
          case Op.ROL: {
            const a = this.rd(code[at + F_A], 0);
            const bo = code[at + F_B];
            const s = (bo === NONE ? code[at + F_IMM] : this.rd(bo, 0)) & 31;
            const r = op === Op.SHL ? a << s : op === Op.SHR ? (a >>> s) | 0 : op === Op.ASR ? a >> s : s === 0 ? a : (a << s) | (a >>> (32 - s));
            z = r === 0 ? 1 : 0;
            n = r < 0 ? 1 : 0;
            c = v = 0;
            this.wr(code[at + F_D], r);
            pc++;
            break;
          }
          case Op.DBL_SHR: {
            const hi = this.rd(code[at + F_A], 0);
            const lo = this.rd(code[at + F_B], 0);
            const co = code[at + F_C];
            const s = (co === NONE ? code[at + F_IMM] : this.rd(co, 0)) & 31;
            const r = s === 0 ? lo : (lo >>> s) | (hi << (32 - s));
            z = r === 0 ? 1 : 0;
            n = r < 0 ? 1 : 0;
            c = v = 0;
            this.wr(code[at + F_D], r);
            pc++;
            break;
          }
          case Op.BYTE_EXT: {
            const a = this.rd(code[at + F_A], 0);
            const r = (a >>> (8 * code[at + F_IMM])) & 0xff;
            z = r === 0 ? 1 : 0;
            n = r < 0 ? 1 : 0;
            c = v = 0;
            this.wr(code[at + F_D], r);
            pc++;
            break;
          }
          case Op.LD_FIELD: {
            const d = code[at + F_D];
            const b = this.rd(code[at + F_B], 0);
            const rot = code[at + F_IMM];
            const rotated = rot === 0 ? b : (b >>> rot) | (b << (32 - rot));
            const m = byteMask(code[at + F_N]);
            this.wr(d, (this.rd(d, 0) & ~m) | (rotated & m));
            pc++;
            break;
          }
          case Op.MUL_START: {
            const a = this.rd(code[at + F_A], 0);
            this.mulStart(a, this.rd(code[at + F_B], 0));
            pc++;
            break;
          }
          case Op.MUL_STEP:
            this.mulStep(pc);
            pc++;
            break;
          case Op.MUL_LO:
          case Op.MUL_HI: {
            this.wr(code[at + F_D], this.mulProduct(pc, op === Op.MUL_HI));
            pc++;
            break;
          }
          case Op.IMMED:
            this.wr(code[at + F_D], code[at + F_IMM] << code[at + F_N]);
            pc++;
            break;
          case Op.IMMED_W1: {
            const d = code[at + F_D];
            this.wr(d, (this.rd(d, 0) & 0xffff) | (code[at + F_IMM] << 16));
            pc++;
            break;
          }
          case Op.BR:
          case Op.BEQ:
          case Op.BNE:
          case Op.BMI:
          case Op.BPL:
          case Op.BCS:
          case Op.BCC:
          case Op.BVS:
          case Op.BVC:
          case Op.BHI:
          case Op.BLS:
          case Op.BGE:
          case Op.BLT:
          case Op.BGT:
          case Op.BLE: {
            if (branchTaken(op, z, n, c, v)) {
              pc = code[at + F_X];
              cycles += penalty;
            } else pc++;
            break;
          }
          case Op.BR_BSET:
          case Op.BR_BCLR: {
            const bit = (this.rd(code[at + F_A], 0) >>> code[at + F_IMM]) & 1;
            if (bit === (op === Op.BR_BSET ? 1 : 0)) {
              pc = code[at + F_X];
              cycles += penalty;
            } else pc++;
            break;
          }
          case Op.BAL:
            this.wr(code[at + F_D], pc + 1);
            pc = code[at + F_X];
            cycles += penalty;
            break;
          case Op.RTN: {
            const target = this.rd(code[at + F_A], 0);
            if (target < 0 || target >= length) this.returnFault(pc, target);
            pc = target;
            cycles += penalty;
            break;
          }
          case Op.LM_BASE: {
            const value = this.rd(code[at + F_A], 0);
            // An LM pointer (region 3) or a plain byte offset.
            this.lmIndex[code[at + F_N]] = value >>> REGION_SHIFT === Region.LOCAL ? value & OFFSET_MASK : value;
            pc++;
            break;
          }
          case Op.LM_LD: {
            const width = code[at + F_C];
            const addr = this.lmIndex[code[at + F_N]] + code[at + F_IMM];
            if (addr < 0 || addr + width > lmBytes) this.localMemoryFault(pc, "read", width, addr);
            const r = width === 1 ? lm[addr] : width === 2 ? (lm[addr] << 8) | lm[addr + 1] : (lm[addr] << 24) | (lm[addr + 1] << 16) | (lm[addr + 2] << 8) | lm[addr + 3];
            this.wr(code[at + F_D], r);
            pc++;
            break;
          }
          case Op.LM_ST: {
            const width = code[at + F_C];
            const addr = this.lmIndex[code[at + F_N]] + code[at + F_IMM];
            if (addr < 0 || addr + width > lmBytes) this.localMemoryFault(pc, "write", width, addr);
            const value = this.rd(code[at + F_A], 0);
            this.lmDirty = true;
            if (width === 1) lm[addr] = value;
            else if (width === 2) {
              lm[addr] = value >>> 8;
              lm[addr + 1] = value;
            } else {
              lm[addr] = value >>> 24;
              lm[addr + 1] = value >>> 16;
              lm[addr + 2] = value >>> 8;
              lm[addr + 3] = value;
            }
            pc++;
            break;
          }
          case Op.MEM_RD:
          case Op.MEM_WR:
          case Op.MEM_ADD:
          case Op.MEM_TADD:
          case Op.MEM_TAS:
            this.memCommand(pc, cycles);
            cycles = 0;
            pc++;
            break;
          case Op.CTX_ARB:
            this.ctxArb(pc, cycles);
            cycles = 0;
            pc++;
            break;
          case Op.FWCALL:
            this.fwcall(pc, cycles);
            cycles = 0;
            pc++;
            break;
          case Op.CSR_RD: {
            const pk = this.packet;
            const id = code[at + F_N];
            const r =
              id === Csr.DATA
                ? packetAddress(pk.dataStart)
                : id === Csr.DATA_END
                  ? packetAddress(pk.dataEnd)
                  : id === Csr.DATA_META
                    ? packetAddress(pk.metaStart)
                    : id === Csr.PKT_LEN
                      ? pk.dataEnd - pk.dataStart
                      : id === Csr.INGRESS_IFINDEX
                        ? pk.ingressIfindex
                        : pk.rxQueueIndex;
            this.wr(code[at + F_D], r);
            pc++;
            break;
          }
          case Op.HANDOVER:
          case Op.TO_HOST:
            this.endStage(pc, cycles);
            return;
          case Op.VERDICT:
            this.verdict(pc, cycles);
            return;
          default:
            this.fault(pc, `opcode ${op} does not exist`);
        }
      }
    } finally {
      this.flagZ = z;
      this.flagN = n;
      this.flagC = c;
      this.flagV = v;
      this.instructions = count;
    }
  }
}

const regionOf = (address: number): number => address >>> REGION_SHIFT;

function popcount(x: number): number {
  let v = x >>> 0;
  let count = 0;
  while (v) {
    v &= v - 1;
    count++;
  }
  return count;
}

function byteMask(mask4: number): number {
  return ((mask4 & 1 ? 0xff : 0) | (mask4 & 2 ? 0xff00 : 0) | (mask4 & 4 ? 0xff0000 : 0) | (mask4 & 8 ? 0xff000000 : 0)) | 0;
}

function signalNames(mask: number): string {
  const names: string[] = [];
  for (let s = 0; s < 16; s++) if ((mask >>> s) & 1) names.push(`s${s}`);
  return `signal${names.length > 1 ? "s" : ""} ${names.join(", ")}`;
}

export function branchTaken(op: number, z: number, n: number, c: number, v: number): boolean {
  switch (op) {
    case Op.BR:
      return true;
    case Op.BEQ:
      return z === 1;
    case Op.BNE:
      return z === 0;
    case Op.BMI:
      return n === 1;
    case Op.BPL:
      return n === 0;
    case Op.BCS:
      return c === 1;
    case Op.BCC:
      return c === 0;
    case Op.BVS:
      return v === 1;
    case Op.BVC:
      return v === 0;
    case Op.BHI:
      return c === 0 && z === 0;
    case Op.BLS:
      return c === 1 || z === 1;
    case Op.BGE:
      return n === v;
    case Op.BLT:
      return n !== v;
    case Op.BGT:
      return z === 0 && n === v;
    case Op.BLE:
      return z === 1 || n !== v;
    default:
      return false;
  }
}

// High 32 bits of the unsigned 64-bit product a*b, from 16-bit halves.
export function mulHigh(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const lo = a0 * b0;
  const mid1 = a1 * b0;
  const mid2 = a0 * b1;
  const carry = Math.floor(((lo >>> 16) + (mid1 & 0xffff) + (mid2 & 0xffff)) / 0x10000);
  return (a1 * b1 + Math.floor(mid1 / 0x10000) + Math.floor(mid2 / 0x10000) + carry) | 0;
}

function getWord(buf: Uint8Array, off: number, le: boolean): number {
  return le
    ? buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24)
    : (buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3];
}

function setWord(buf: Uint8Array, off: number, le: boolean, value: number): void {
  if (le) {
    buf[off] = value;
    buf[off + 1] = value >>> 8;
    buf[off + 2] = value >>> 16;
    buf[off + 3] = value >>> 24;
  } else {
    buf[off] = value >>> 24;
    buf[off + 1] = value >>> 16;
    buf[off + 2] = value >>> 8;
    buf[off + 3] = value;
  }
}

// Memory to transfer registers: 1 and 2 bytes land right-aligned in xk, longer reads fill whole words.
function loadWords(buf: Uint8Array, off: number, bytes: number, le: boolean, regs: Int32Array, xk: number): void {
  if (bytes === 1) regs[xk] = buf[off];
  else if (bytes === 2) regs[xk] = le ? buf[off] | (buf[off + 1] << 8) : (buf[off] << 8) | buf[off + 1];
  else for (let w = 0; w < bytes >> 2; w++) regs[xk + w] = getWord(buf, off + 4 * w, le);
}

function storeWords(buf: Uint8Array, off: number, bytes: number, le: boolean, regs: Int32Array, xk: number): void {
  const value = regs[xk];
  if (bytes === 1) buf[off] = value;
  else if (bytes === 2) {
    if (le) {
      buf[off] = value;
      buf[off + 1] = value >>> 8;
    } else {
      buf[off] = value >>> 8;
      buf[off + 1] = value;
    }
  } else for (let w = 0; w < bytes >> 2; w++) setWord(buf, off + 4 * w, le, regs[xk + w]);
}

