// Random eBPF programs that the kernel verifier accepts, for the differential
// test of the instruction set: straight-line code and structured branches
// (if / if-else, so every instruction is reachable and every jump goes
// forward), over every ALU and JMP operation in 32 and 64 bits with
// immediate and register sources, sign-extending loads, byte swaps, signed
// division, atomics on the stack and on a map value, and bpf-to-bpf calls.
//
// The program is an XDP program. Its prologue looks up element 0 of an
// array map (map index 0) and keeps the value pointer in r9, fills a
// 264-byte stack area with immediates and r0..r8 with 64-bit values (lddw,
// known to the verifier, or loaded from the map value, unknown to it, so
// that both sides of a branch are explored). The body works on r0..r8 only.
// The epilogue stores r0..r8 and the stack area into the map value, so the
// map value after the run holds everything the program computed, and
// returns r0.
import fc from "fast-check";
import { aluOpNames, type AluOpName } from "../../src/ebpf/alu.ts";
import { alwaysFetches, atomicOpList, type AtomicOpName } from "../../src/ebpf/atomic.ts";
import { toSlots } from "../../src/ebpf/describe.ts";
import { insn, splitImm64, type Insn } from "../../src/ebpf/instruction.ts";
import { jumpCondNames, jumpSlot, type JumpCondName } from "../../src/ebpf/jump.ts";
import { AluOp, Class, JmpOp, LDDW, Mode, PseudoCall, PseudoLd, Size, Source } from "../../src/ebpf/opcode.ts";

// Map value layout (bytes).
export const MAP_AREA_BYTES = 256;
const REGS_AT = MAP_AREA_BYTES;
const BODY_REGS = 9; // r0..r8
const STACK_COPY_AT = REGS_AT + BODY_REGS * 8;
// The stack area: [r10 - 272, r10 - 8); the slot at r10 - 8 holds the lookup key.
const STACK_AREA_TOP = -8;
const STACK_AREA_BYTES = 264;
export const MAP_VALUE_BYTES = STACK_COPY_AT + STACK_AREA_BYTES;
// A subprogram's own stack area: [r10 - 64, r10).
const SUB_STACK_BYTES = 64;
const HELPER_MAP_LOOKUP_ELEM = 1;

export type Width = 32 | 64;
type Reg = number;
export type SizeName = "b" | "h" | "w" | "dw";
const SIZE_CODE: Readonly<Record<SizeName, number>> = { b: Size.B, h: Size.H, w: Size.W, dw: Size.DW };
const SIZE_BYTES: Readonly<Record<SizeName, number>> = { b: 1, h: 2, w: 4, dw: 8 };

// The operation names are src/ebpf's (one table of encodings); atomics add the fetch forms as names of their own.
export const ALU_NAMES = aluOpNames;
export const COND_NAMES = jumpCondNames;
const plainAtomics = atomicOpList.filter((op) => !alwaysFetches(op));
export const ATOMIC_NAMES = [...plainAtomics, ...plainAtomics.map((op) => `fetch_${op}` as const), ...atomicOpList.filter(alwaysFetches)];
export type AtomicName = (typeof ATOMIC_NAMES)[number];

function atomicForm(name: AtomicName): { op: AtomicOpName; fetch: boolean } {
  const op = (name.startsWith("fetch_") ? name.slice("fetch_".length) : name) as AtomicOpName;
  return { op, fetch: name !== op || alwaysFetches(op) };
}

export type Condition = { readonly width: Width; readonly op: JumpCondName; readonly dst: Reg } & ({ readonly src: "k"; readonly imm: number } | { readonly src: "x"; readonly reg: Reg });

export type Step =
  | ({ readonly kind: "alu"; readonly width: Width; readonly op: AluOpName; readonly dst: Reg } & ({ readonly src: "k"; readonly imm: number } | { readonly src: "x"; readonly reg: Reg }))
  | { readonly kind: "neg"; readonly width: Width; readonly dst: Reg }
  | { readonly kind: "movsx"; readonly width: Width; readonly bits: 8 | 16 | 32; readonly dst: Reg; readonly reg: Reg }
  | { readonly kind: "endian"; readonly order: "le" | "be" | "bswap"; readonly bits: 16 | 32 | 64; readonly dst: Reg }
  | { readonly kind: "lddw"; readonly dst: Reg; readonly value: bigint }
  | { readonly kind: "load"; readonly base: "stack" | "map"; readonly size: SizeName; readonly signed: boolean; readonly dst: Reg; readonly slot: number }
  | { readonly kind: "store"; readonly base: "stack" | "map"; readonly size: SizeName; readonly slot: number; readonly value: { readonly reg: Reg } | { readonly imm: number } }
  | { readonly kind: "atomic"; readonly base: "stack" | "map"; readonly size: "w" | "dw"; readonly op: AtomicName; readonly reg: Reg; readonly slot: number }
  | { readonly kind: "if"; readonly cond: Condition; readonly then: readonly Step[]; readonly otherwise?: readonly Step[]; readonly longJump: boolean }
  | { readonly kind: "call"; readonly sub: number };

export interface GeneratedProgram {
  // Registers start from lddw (known to the verifier) or from the map value (unknown).
  readonly knownStart: boolean;
  readonly starts: readonly bigint[];
  readonly stackFill: readonly number[];
  readonly body: readonly Step[];
  readonly subs: readonly (readonly Step[])[];
}

// ---- arbitraries ----

const int32 = fc.oneof(
  fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
  fc.constantFrom(0, 1, -1, 2, 7, 31, 32, 63, 64, 0xff, 0xffff, 0x7fff_ffff, -0x8000_0000, -2),
);
const int64 = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.constantFrom(0n, 1n, (1n << 64n) - 1n, 1n << 63n, (1n << 63n) - 1n, 0xffff_ffffn, 0x8000_0000n, 0x1_0000_0000n, 0x80n, 0x8000n),
);

// A step over registers 0..maxReg, with memory in the given base(s).
function stepArb(maxReg: number, bases: readonly ("stack" | "map")[], subs: number, depth: number): fc.Arbitrary<Step> {
  const reg = fc.integer({ min: 0, max: maxReg });
  const width = fc.constantFrom<Width>(32, 64);
  const base = fc.constantFrom(...bases);
  const alu: fc.Arbitrary<Step> = fc.record({ width, op: fc.constantFrom(...ALU_NAMES), dst: reg, useReg: fc.boolean(), reg, imm: int32 }).map(({ width, op, dst, useReg, reg, imm }) => {
    if (useReg) return { kind: "alu", width, op, dst, src: "x", reg };
    // The verifier refuses division by a zero immediate and shifts by an immediate >= the width.
    const fixed = (op === "div" || op === "sdiv" || op === "mod" || op === "smod") && imm === 0 ? 3 : ["lsh", "rsh", "arsh"].includes(op) ? ((imm % width) + width) % width : imm;
    return { kind: "alu", width, op, dst, src: "k", imm: fixed };
  });
  const simple: fc.Arbitrary<Step>[] = [
    alu,
    alu,
    alu,
    fc.record({ width, dst: reg }).map((s) => ({ kind: "neg" as const, ...s })),
    fc.record({ width, bits: fc.constantFrom<8 | 16 | 32>(8, 16, 32), dst: reg, reg }).map((s) => ({ kind: "movsx" as const, ...s, bits: s.width === 32 && s.bits === 32 ? (16 as const) : s.bits })),
    fc.record({ order: fc.constantFrom<"le" | "be" | "bswap">("le", "be", "bswap"), bits: fc.constantFrom<16 | 32 | 64>(16, 32, 64), dst: reg }).map((s) => ({ kind: "endian" as const, ...s })),
    fc.record({ dst: reg, value: int64 }).map((s) => ({ kind: "lddw" as const, ...s })),
    fc.record({ base, size: fc.constantFrom<SizeName>("b", "h", "w", "dw"), signed: fc.boolean(), dst: reg, slot: fc.nat() }).map((s) => ({ kind: "load" as const, ...s, signed: s.signed && s.size !== "dw" })),
    fc.record({ base, size: fc.constantFrom<SizeName>("b", "h", "w", "dw"), slot: fc.nat(), useReg: fc.boolean(), reg, imm: int32 }).map(({ base, size, slot, useReg, reg, imm }) => ({ kind: "store" as const, base, size, slot, value: useReg ? { reg } : { imm } })),
    fc.record({ base, size: fc.constantFrom<"w" | "dw">("w", "dw"), op: fc.constantFrom(...ATOMIC_NAMES), reg, slot: fc.nat() }).map((s) => ({ kind: "atomic" as const, ...s })),
  ];
  if (subs > 0) simple.push(fc.integer({ min: 0, max: subs - 1 }).map((sub) => ({ kind: "call" as const, sub })));
  if (depth <= 0) return fc.oneof(...simple);
  const condition: fc.Arbitrary<Condition> = fc.record({ width, op: fc.constantFrom(...COND_NAMES), dst: reg, useReg: fc.boolean(), reg, imm: int32 }).map(({ width, op, dst, useReg, reg, imm }) =>
    useReg ? { width, op, dst, src: "x" as const, reg } : { width, op, dst, src: "k" as const, imm },
  );
  const inner = fc.array(stepArb(maxReg, bases, subs, depth - 1), { minLength: 0, maxLength: 5 });
  const branch: fc.Arbitrary<Step> = fc.record({ cond: condition, then: inner, otherwise: fc.option(inner, { nil: undefined }), longJump: fc.boolean() }).map((s) => ({
    kind: "if" as const,
    cond: s.cond,
    then: s.then,
    longJump: s.longJump,
    ...(s.otherwise === undefined ? {} : { otherwise: s.otherwise }),
  }));
  return fc.oneof({ arbitrary: fc.oneof(...simple), weight: 4 }, { arbitrary: branch, weight: 1 });
}

export const generatedProgram: fc.Arbitrary<GeneratedProgram> = fc
  .record({
    knownStart: fc.boolean(),
    starts: fc.array(int64, { minLength: BODY_REGS, maxLength: BODY_REGS }),
    stackFill: fc.array(int32, { minLength: STACK_AREA_BYTES / 8, maxLength: STACK_AREA_BYTES / 8 }),
    subCount: fc.integer({ min: 0, max: 2 }),
  })
  .chain(({ knownStart, starts, stackFill, subCount }) =>
    fc
      .record({
        body: fc.array(stepArb(BODY_REGS - 1, ["stack", "map"], subCount, 2), { minLength: 4, maxLength: 40 }),
        // Subprograms see r1..r5 (arguments) and r0 (set from r1), and their own stack.
        subs: fc.array(fc.array(stepArb(5, ["stack"], 0, 1), { minLength: 1, maxLength: 12 }), { minLength: subCount, maxLength: subCount }),
      })
      .map(({ body, subs }) => ({ knownStart, starts, stackFill, body, subs })),
  );

// ---- rendering ----

// Rendering targets: jumps name a label; labels get their slot once everything is placed.
type Item = { readonly kind: "insn"; readonly insn: Insn } | { readonly kind: "jump"; readonly insn: Insn; readonly label: number; readonly long: boolean } | { readonly kind: "label"; readonly id: number } | { readonly kind: "call"; readonly sub: number };

interface Frame {
  readonly stackBytes: number;
  readonly stackTop: number;
}

const MAIN_FRAME: Frame = { stackBytes: STACK_AREA_BYTES, stackTop: STACK_AREA_TOP };
const SUB_FRAME: Frame = { stackBytes: SUB_STACK_BYTES, stackTop: 0 };

// Where slot `slot` of an area of `size`-byte elements lies: r10-relative or r9-relative offset.
function memoryOffset(base: "stack" | "map", size: SizeName, slot: number, frame: Frame): { reg: Reg; off: number } {
  const bytes = SIZE_BYTES[size];
  if (base === "map") return { reg: 9, off: (slot % (MAP_AREA_BYTES / bytes)) * bytes };
  const count = frame.stackBytes / bytes;
  return { reg: 10, off: frame.stackTop - frame.stackBytes + (slot % count) * bytes };
}

function lddwSlots(dst: Reg, value: bigint, src: number = PseudoLd.IMM64): Insn[] {
  const { imm, nextImm } = splitImm64(BigInt.asUintN(64, value));
  return [insn(LDDW, dst, src, 0, imm), insn(0, 0, 0, 0, nextImm)];
}

class Renderer {
  private readonly items: Item[] = [];
  private nextLabel = 0;

  constructor(private readonly frame: Frame) {}

  emit(...slots: Insn[]): void {
    for (const slot of slots) this.items.push({ kind: "insn", insn: slot });
  }

  label(): number {
    return this.nextLabel++;
  }

  place(id: number): void {
    this.items.push({ kind: "label", id });
  }

  step(step: Step): void {
    switch (step.kind) {
      case "alu":
        this.emit(...toSlots({ kind: "alu", width: step.width, op: step.op, dst: step.dst, ...(step.src === "k" ? { source: "imm", src: 0, imm: step.imm } : { source: "reg", src: step.reg, imm: 0 }) }));
        return;
      case "neg":
        this.emit(...toSlots({ kind: "neg", width: step.width, dst: step.dst }));
        return;
      case "movsx":
        this.emit(...toSlots({ kind: "movsx", width: step.width, dst: step.dst, src: step.reg, fromBits: step.bits }));
        return;
      case "endian":
        this.emit(...toSlots({ kind: "endian", op: step.order, bits: step.bits, dst: step.dst }));
        return;
      case "lddw":
        this.emit(...lddwSlots(step.dst, step.value));
        return;
      case "load": {
        const { reg, off } = memoryOffset(step.base, step.size, step.slot, this.frame);
        this.emit(insn(Class.LDX | (step.signed ? Mode.MEMSX : Mode.MEM) | SIZE_CODE[step.size], step.dst, reg, off, 0));
        return;
      }
      case "store": {
        const { reg, off } = memoryOffset(step.base, step.size, step.slot, this.frame);
        if ("reg" in step.value) this.emit(insn(Class.STX | Mode.MEM | SIZE_CODE[step.size], reg, step.value.reg, off, 0));
        else this.emit(insn(Class.ST | Mode.MEM | SIZE_CODE[step.size], reg, 0, off, step.value.imm));
        return;
      }
      case "atomic": {
        const { reg, off } = memoryOffset(step.base, step.size, step.slot, this.frame);
        this.emit(...toSlots({ kind: "atomic", sizeBytes: step.size === "w" ? 4 : 8, ...atomicForm(step.op), dst: reg, src: step.reg, off }));
        // On x86-64 the kernel keeps r0's upper half after a successful 32-bit cmpxchg on a path its
        // verifier prunes (a kernel bug, docs/kernel.md, Exclusions): `w0 = w0`, an ALU32 move the JIT
        // zero-extends by itself, gives the RFC's result on every path.
        if (step.op === "cmpxchg" && step.size === "w") this.emit(insn(Class.ALU | Source.X | AluOp.MOV, 0, 0));
        return;
      }
      case "if": {
        const otherwise = this.label();
        const end = this.label();
        const c = step.cond;
        // The branch is taken when the condition holds: it skips the `then` part.
        const jump = jumpSlot({ kind: "jcond", width: c.width, op: c.op, dst: c.dst, offset: 0, ...(c.src === "k" ? { source: "imm", src: 0, imm: c.imm } : { source: "reg", src: c.reg, imm: 0 }) });
        this.items.push({ kind: "jump", insn: jump, label: step.otherwise === undefined ? end : otherwise, long: false });
        step.then.forEach((s) => this.step(s));
        if (step.otherwise !== undefined) {
          this.items.push({ kind: "jump", insn: insn(step.longJump ? Class.JMP32 | JmpOp.JA : Class.JMP | JmpOp.JA), label: end, long: step.longJump });
          this.place(otherwise);
          step.otherwise.forEach((s) => this.step(s));
        }
        this.place(end);
        return;
      }
      case "call":
        this.items.push({ kind: "call", sub: step.sub });
        // The callee may have clobbered r1..r5 (the verifier marks them unreadable): give them values again.
        this.emit(insn(Class.ALU64 | Source.X | AluOp.MOV, 1, 6), insn(Class.ALU64 | Source.X | AluOp.MOV, 2, 7), insn(Class.ALU64 | Source.X | AluOp.MOV, 3, 8));
        this.emit(insn(Class.ALU64 | Source.X | AluOp.MOV, 4, 0), insn(Class.ALU64 | Source.K | AluOp.MOV, 5, 0, 0, 0x5a5a));
        return;
    }
  }

  // Slots, with jumps resolved; calls become (subprogram index, slot) for the linker.
  resolve(): { slots: Insn[]; calls: { at: number; sub: number }[] } {
    const positions = new Map<number, number>();
    let pc = 0;
    for (const item of this.items) {
      if (item.kind === "label") positions.set(item.id, pc);
      else pc += 1;
    }
    const slots: Insn[] = [];
    const calls: { at: number; sub: number }[] = [];
    for (const item of this.items) {
      if (item.kind === "label") continue;
      const at = slots.length;
      if (item.kind === "insn") slots.push(item.insn);
      else if (item.kind === "call") {
        calls.push({ at, sub: item.sub });
        slots.push(insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.LOCAL, 0, 0));
      } else {
        const offset = positions.get(item.label)! - at - 1;
        slots.push(item.long ? { ...item.insn, imm: offset } : { ...item.insn, off: offset });
      }
    }
    return { slots, calls };
  }
}

export interface RenderedProgram {
  readonly insns: Insn[];
  // The map value the run starts from: the register start values where they come from the map.
  readonly functions: readonly { readonly name: string; readonly startPc: number; readonly slots: number }[];
}

export function render(program: GeneratedProgram): RenderedProgram {
  // Keep only the subprograms a call reaches (an uncalled one is unreachable code to the verifier).
  const called = [...new Set(collectCalls(program.body))].sort((a, b) => a - b);
  const main = new Renderer(MAIN_FRAME);
  const exitLabel = main.label();
  // Prologue: key 0 at r10-4, r0 = bpf_map_lookup_elem(map 0, &key); no element: return 0.
  main.emit(insn(Class.ST | Mode.MEM | Size.W, 10, 0, -4, 0), insn(Class.ALU64 | Source.X | AluOp.MOV, 2, 10), insn(Class.ALU64 | Source.K | AluOp.ADD, 2, 0, 0, -4));
  main.emit(...lddwSlots(1, 0n, PseudoLd.MAP_IDX), insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.HELPER, 0, HELPER_MAP_LOOKUP_ELEM));
  main.emit(insn(Class.JMP | Source.K | JmpOp.JNE, 0, 0, 2, 0), insn(Class.ALU64 | Source.K | AluOp.MOV, 0, 0, 0, 0), insn(Class.JMP | JmpOp.EXIT));
  main.emit(insn(Class.ALU64 | Source.X | AluOp.MOV, 9, 0));
  program.stackFill.forEach((value, i) => main.emit(insn(Class.ST | Mode.MEM | Size.DW, 10, 0, STACK_AREA_TOP - STACK_AREA_BYTES + i * 8, value)));
  for (let r = 0; r < BODY_REGS; r++) {
    if (program.knownStart) main.emit(...lddwSlots(r, program.starts[r]));
    else main.emit(insn(Class.LDX | Mode.MEM | Size.DW, r, 9, r * 8, 0));
  }
  program.body.forEach((step) => main.step(remapCalls(step, called)));
  // Epilogue: r0..r8 and the stack area into the map value.
  for (let r = 0; r < BODY_REGS; r++) main.emit(insn(Class.STX | Mode.MEM | Size.DW, 9, r, REGS_AT + r * 8, 0));
  for (let i = 0; i < STACK_AREA_BYTES / 8; i++) {
    main.emit(insn(Class.LDX | Mode.MEM | Size.DW, 1, 10, STACK_AREA_TOP - STACK_AREA_BYTES + i * 8, 0), insn(Class.STX | Mode.MEM | Size.DW, 9, 1, STACK_COPY_AT + i * 8, 0));
  }
  main.place(exitLabel);
  main.emit(insn(Class.JMP | JmpOp.EXIT));
  const rendered = main.resolve();
  const insns = [...rendered.slots];
  const functions = [{ name: "main", startPc: 0, slots: insns.length }];
  const subStarts: number[] = [];
  for (const index of called) {
    const sub = new Renderer(SUB_FRAME);
    sub.emit(insn(Class.ALU64 | Source.X | AluOp.MOV, 0, 1));
    for (let i = 0; i < SUB_STACK_BYTES / 8; i++) sub.emit(insn(Class.ST | Mode.MEM | Size.DW, 10, 0, -SUB_STACK_BYTES + i * 8, 0x1234_5678 + i));
    program.subs[index].forEach((step) => sub.step(step));
    sub.emit(insn(Class.JMP | JmpOp.EXIT));
    const start = insns.length;
    subStarts.push(start);
    const slots = sub.resolve().slots;
    insns.push(...slots);
    functions.push({ name: `sub${index}`, startPc: start, slots: slots.length });
  }
  for (const call of rendered.calls) insns[call.at] = { ...insns[call.at], imm: subStarts[call.sub] - call.at - 1 };
  return { insns, functions };
}

function collectCalls(steps: readonly Step[]): number[] {
  return steps.flatMap((s) => (s.kind === "call" ? [s.sub] : s.kind === "if" ? [...collectCalls(s.then), ...collectCalls(s.otherwise ?? [])] : []));
}

// Call indexes renumbered to the subprograms kept.
function remapCalls(step: Step, called: readonly number[]): Step {
  if (step.kind === "call") return { kind: "call", sub: called.indexOf(step.sub) };
  if (step.kind === "if") return { ...step, then: step.then.map((s) => remapCalls(s, called)), ...(step.otherwise ? { otherwise: step.otherwise.map((s) => remapCalls(s, called)) } : {}) };
  return step;
}

// The map value a run starts from: the register start values at their places (read when !knownStart), the rest a pattern.
export function initialMapValue(program: GeneratedProgram): Uint8Array {
  const value = new Uint8Array(MAP_VALUE_BYTES);
  const view = new DataView(value.buffer);
  for (let i = 0; i < MAP_AREA_BYTES; i++) value[i] = (i * 37 + 11) & 0xff;
  program.starts.forEach((start, r) => view.setBigUint64(r * 8, BigInt.asUintN(64, start), true));
  return value;
}

// Every kind of instruction the steps use, as "class:op:source" names, for the coverage check.
export function instructionKinds(steps: readonly Step[]): string[] {
  return steps.flatMap((s): string[] => {
    switch (s.kind) {
      case "alu":
        return [`alu${s.width}:${s.op}:${s.src}`];
      case "neg":
        return [`alu${s.width}:neg`];
      case "movsx":
        return [`alu${s.width}:movsx${s.bits}`];
      case "endian":
        return [`endian:${s.order}${s.bits}`];
      case "lddw":
        return ["lddw"];
      case "load":
        return [`load:${s.base}:${s.signed ? "s" : "u"}${s.size}`];
      case "store":
        return [`store:${s.base}:${"reg" in s.value ? "x" : "k"}${s.size}`];
      case "atomic":
        return [`atomic:${s.base}:${s.op}${s.size === "w" ? "32" : "64"}`];
      case "if":
        return [`jmp${s.cond.width}:${s.cond.op}:${s.cond.src}`, ...(s.otherwise ? [s.longJump ? "gotol" : "ja"] : []), ...instructionKinds(s.then), ...instructionKinds(s.otherwise ?? [])];
      case "call":
        return ["call:local"];
    }
  });
}
