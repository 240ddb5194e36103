// fast-check generators of whole programs for the compiled tier's
// differential tests. A program is a prologue (r9 = the memory or packet
// base, r0-r8 loaded with edge values), a body of generated items and an
// epilogue that makes every register observable; the items cover each ALU
// and JMP operation at both widths, loads and stores of every size
// (sign-extending loads too) on the stack, the input and wild addresses,
// atomics, helper calls, a bpf-to-bpf call, bounded loops, forward branches
// and tail calls. Jumps only go forward except the loops' own back edge, and
// a loop whose body rewrites its counter simply runs into the budget (which
// is part of what is compared).
import fc from "fast-check";
import { insn, type Insn, type Program } from "../../src/ebpf/instruction.ts";
import { AluOp, AtomicOp, Class, JmpOp, LDDW, Mode, PseudoCall, PseudoLd, Size, Source, type SizeCode } from "../../src/ebpf/opcode.ts";
import { HelperId } from "../../src/helpers/prototypes.ts";
import { createMap } from "../../src/maps/create.ts";
import { MapFlag } from "../../src/maps/flags.ts";
import { MapType, type SimMap } from "../../src/maps/types.ts";

export type ProgramMode = "memory" | "xdp";

const TWO64 = 1n << 64n;
const edges64 = [0n, 1n, 2n, TWO64 - 1n, TWO64 - 2n, 1n << 63n, (1n << 63n) - 1n, 1n << 32n, (1n << 32n) - 1n, 1n << 31n, TWO64 - (1n << 31n), 0xffn, 0x80n, 0xffffn, 0x8000n, 31n, 32n, 63n, 64n];
export const value64 = fc.oneof(fc.constantFrom(...edges64), fc.bigInt({ min: 0n, max: TWO64 - 1n }));
const edgeImms = [0, 1, -1, 2, -2, 7, 31, 32, 33, 63, 64, 0xff, 0x80, 0xffff, 0x8000, -0x8000, 0x7fff_ffff, -0x8000_0000];
export const imm32 = fc.oneof(fc.constantFrom(...edgeImms), fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }));
// The body writes r0-r8 only: r9 holds the memory/packet base, r10 is the frame pointer.
const writable = fc.integer({ min: 0, max: 8 });
const readable = fc.integer({ min: 0, max: 10 });
const SIZES: readonly SizeCode[] = [Size.B, Size.H, Size.W, Size.DW];
const BASE = 9;
const CONTEXT = 6;

// Maps every generated environment provides, by index: an array, a hash, a prog_array
// and an array the program may only read (BPF_F_RDONLY_PROG).
export const ARRAY_MAP = 0;
export const HASH_MAP = 1;
export const PROG_ARRAY = 2;
export const READONLY_MAP = 3;
export const MAP_VALUE_BYTES = 16;

// What a generated program's tail call to id 0 reaches: r0 = the packet's first byte + r0 (when there is one), then exit.
export const TAIL_PROGRAM: Program = [
  { opcode: 0xbf, dst: 9, src: 1, off: 0, imm: 0 },
  { opcode: 0x61, dst: 2, src: 9, off: 0, imm: 0 },
  { opcode: 0x61, dst: 3, src: 9, off: 4, imm: 0 },
  { opcode: 0xbf, dst: 4, src: 2, off: 0, imm: 0 },
  { opcode: 0x07, dst: 4, src: 0, off: 0, imm: 1 },
  { opcode: 0x2d, dst: 4, src: 3, off: 2, imm: 0 },
  { opcode: 0x71, dst: 5, src: 2, off: 0, imm: 0 },
  { opcode: 0x0f, dst: 0, src: 5, off: 0, imm: 0 },
  { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
];

// The maps the generated programs name, by index: 0 an array, 1 a hash, 2 a prog_array whose slot 1 holds tail-call
// id 1 (the program itself, as the callers number it) and, with `tailProgram`, slot 0 id 0 (TAIL_PROGRAM), 3 an
// array the program may only read, holding bytes 1, 2, 3... at key 0.
export function generatedProgramMaps(options: { readonly tailProgram?: boolean } = {}): SimMap[] {
  const maps = [
    createMap({ name: "array", type: MapType.ARRAY, keySize: 4, valueSize: MAP_VALUE_BYTES, maxEntries: 4, flags: 0 }),
    createMap({ name: "hash", type: MapType.HASH, keySize: 4, valueSize: MAP_VALUE_BYTES, maxEntries: 3, flags: 0 }),
    createMap({ name: "stages", type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 }),
    createMap({ name: "constants", type: MapType.ARRAY, keySize: 4, valueSize: MAP_VALUE_BYTES, maxEntries: 1, flags: MapFlag.RDONLY_PROG }),
  ];
  maps[3].sysUpdate(Uint8Array.of(0, 0, 0, 0), Uint8Array.from({ length: MAP_VALUE_BYTES }, (_, i) => i + 1), 0);
  if (options.tailProgram) maps[2].sysUpdate(Uint8Array.of(0, 0, 0, 0), Uint8Array.of(0, 0, 0, 0), 0);
  maps[2].sysUpdate(Uint8Array.of(1, 0, 0, 0), Uint8Array.of(1, 0, 0, 0), 0);
  return maps;
}
// The input memory of "memory" programs.
export const INPUT_BYTES = 80;

type Item =
  | { readonly kind: "slots"; readonly slots: readonly Insn[] }
  | { readonly kind: "branch"; readonly slot: Insn; readonly skip: number }
  | { readonly kind: "loop"; readonly count: number; readonly body: readonly Insn[] }
  | { readonly kind: "call" };

const slots = (...parts: Insn[]): Item => ({ kind: "slots", slots: parts });

export const lddw = (dst: number, value: bigint, src: number = PseudoLd.IMM64): Insn[] => [
  insn(LDDW, dst, src, 0, Number(BigInt.asIntN(32, value))),
  insn(0, 0, 0, 0, Number(BigInt.asIntN(32, value >> 32n))),
];
const ldMap = (dst: number, index: number): Insn[] => [insn(LDDW, dst, PseudoLd.MAP_IDX, 0, index), insn(0)];
const mov64 = (dst: number, imm: number): Insn => insn(Class.ALU64 | Source.K | AluOp.MOV, dst, 0, 0, imm);
const movReg = (dst: number, src: number): Insn => insn(Class.ALU64 | Source.X | AluOp.MOV, dst, src, 0, 0);
const add64 = (dst: number, imm: number): Insn => insn(Class.ALU64 | Source.K | AluOp.ADD, dst, 0, 0, imm);
const callHelper = (id: number): Insn => insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.HELPER, 0, id);
const exit = (): Insn => insn(Class.JMP | JmpOp.EXIT);

const BINARY_OPS = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.DIV, AluOp.OR, AluOp.AND, AluOp.LSH, AluOp.RSH, AluOp.MOD, AluOp.XOR, AluOp.MOV, AluOp.ARSH];

const aluItem: fc.Arbitrary<Item> = fc.oneof(
  fc
    .tuple(fc.boolean(), fc.constantFrom(...BINARY_OPS), fc.boolean(), fc.boolean(), writable, readable, imm32)
    .map(([is64, op, fromRegister, signed, dst, src, imm]) => {
      const off = signed && (op === AluOp.DIV || op === AluOp.MOD) ? 1 : 0;
      const cls = is64 ? Class.ALU64 : Class.ALU;
      return slots(fromRegister ? insn(cls | Source.X | op, dst, src, off, 0) : insn(cls | Source.K | op, dst, 0, off, imm));
    }),
  fc.tuple(fc.boolean(), writable).map(([is64, dst]) => slots(insn((is64 ? Class.ALU64 : Class.ALU) | AluOp.NEG, dst))),
  fc
    .tuple(fc.boolean(), writable, readable, fc.constantFrom(8, 16, 32))
    .map(([is64, dst, src, bits]) => slots(insn((is64 ? Class.ALU64 : Class.ALU) | Source.X | AluOp.MOV, dst, src, !is64 && bits === 32 ? 16 : bits, 0))),
  // to-le and to-be (class ALU), bswap (class ALU64, source K).
  fc
    .tuple(fc.constantFrom(Class.ALU | Source.K, Class.ALU | Source.X, Class.ALU64 | Source.K), writable, fc.constantFrom(16, 32, 64))
    .map(([cls, dst, width]) => slots(insn(cls | AluOp.END, dst, 0, 0, width))),
  fc.tuple(writable, value64).map(([dst, value]) => slots(...lddw(dst, value))),
);

const CONDITIONS = [JmpOp.JEQ, JmpOp.JNE, JmpOp.JGT, JmpOp.JGE, JmpOp.JLT, JmpOp.JLE, JmpOp.JSET, JmpOp.JSGT, JmpOp.JSGE, JmpOp.JSLT, JmpOp.JSLE];

const branchItem: fc.Arbitrary<Item> = fc
  .tuple(fc.boolean(), fc.constantFrom(...CONDITIONS), fc.boolean(), readable, readable, imm32, fc.integer({ min: 0, max: 4 }))
  .map(([is32, op, fromRegister, dst, src, imm, skip]) => {
    const cls = (is32 ? Class.JMP32 : Class.JMP) | (fromRegister ? Source.X : Source.K) | op;
    return { kind: "branch", slot: insn(cls, dst, fromRegister ? src : 0, 0, fromRegister ? 0 : imm), skip };
  });

const ATOMIC_IMMS_LIST = [
  AtomicOp.ADD,
  AtomicOp.OR,
  AtomicOp.AND,
  AtomicOp.XOR,
  AtomicOp.ADD | AtomicOp.FETCH,
  AtomicOp.OR | AtomicOp.FETCH,
  AtomicOp.AND | AtomicOp.FETCH,
  AtomicOp.XOR | AtomicOp.FETCH,
  AtomicOp.XCHG,
  AtomicOp.CMPXCHG,
];
// Mostly defined operations, now and then one the ISA refuses.
const ATOMIC_IMMS = [...ATOMIC_IMMS_LIST, 0xe0, 0x10];

// Stack accesses stay inside the 512 bytes below r10 most of the time; input/packet
// accesses straddle the end; wild bases are whatever a register holds.
const stackOffset = fc.oneof(fc.integer({ min: -512, max: -1 }), fc.constantFrom(-8, -16, -4, 0, 8, -520));
const baseOffset = fc.integer({ min: -8, max: 96 });
const memoryPlace = fc.oneof(
  { weight: 4, arbitrary: stackOffset.map((off) => ({ base: 10, off })) },
  { weight: 4, arbitrary: baseOffset.map((off) => ({ base: BASE, off })) },
  { weight: 1, arbitrary: fc.tuple(readable, fc.integer({ min: -16, max: 16 })).map(([base, off]) => ({ base, off })) },
);

const memoryItem: fc.Arbitrary<Item> = fc.oneof(
  fc.tuple(fc.constantFrom(...SIZES), writable, memoryPlace).map(([size, dst, { base, off }]) => slots(insn(Class.LDX | Mode.MEM | size, dst, base, off, 0))),
  fc
    .tuple(fc.constantFrom(Size.B, Size.H, Size.W), writable, memoryPlace)
    .map(([size, dst, { base, off }]) => slots(insn(Class.LDX | Mode.MEMSX | size, dst, base, off, 0))),
  fc.tuple(fc.constantFrom(...SIZES), readable, memoryPlace).map(([size, src, { base, off }]) => slots(insn(Class.STX | Mode.MEM | size, base, src, off, 0))),
  fc.tuple(fc.constantFrom(...SIZES), imm32, memoryPlace).map(([size, imm, { base, off }]) => slots(insn(Class.ST | Mode.MEM | size, base, 0, off, imm))),
  fc
    .tuple(fc.constantFrom(Size.W, Size.DW), writable, memoryPlace, fc.constantFrom(...ATOMIC_IMMS))
    .map(([size, src, { base, off }, op]) => slots(insn(Class.STX | Mode.ATOMIC | size, base, src, off, op))),
);

// Read, change and write back a stack slot near the top of the frame (slots that helpers and other
// items also use): what a run finds there before writing it shows whether the stack started clean.
const stackCounterItem: fc.Arbitrary<Item> = fc
  .tuple(fc.constantFrom(-8, -16, -24, -32), writable, imm32)
  .map(([off, reg, imm]) =>
    slots(insn(Class.LDX | Mode.MEM | Size.DW, reg, 10, off, 0), add64(reg, imm), insn(Class.STX | Mode.MEM | Size.DW, 10, reg, off, 0)),
  );

// cmpxchg whose expected value equals the stored one, or differs in the high or the low half only.
const compareExchangeItem: fc.Arbitrary<Item> = fc
  .tuple(value64, fc.constantFrom(0n, 1n, 1n << 32n, 1n << 63n), value64, fc.constantFrom(Size.W, Size.DW))
  .map(([stored, flip, replacement, size]) =>
    slots(
      ...lddw(3, stored),
      insn(Class.STX | Mode.MEM | Size.DW, 10, 3, -32, 0),
      ...lddw(0, stored ^ flip),
      ...lddw(4, replacement),
      insn(Class.STX | Mode.ATOMIC | size, 10, 4, -32, AtomicOp.CMPXCHG),
      insn(Class.LDX | Mode.MEM | Size.DW, 5, 10, -32, 0),
    ),
  );

// A map element through bpf_map_lookup_elem: key on the stack, then a guarded access through r0.
const mapItem: fc.Arbitrary<Item> = fc.oneof(
  fc.tuple(fc.constantFrom(ARRAY_MAP, HASH_MAP, READONLY_MAP), fc.integer({ min: 0, max: 5 }), writable, fc.integer({ min: 0, max: 8 })).map(([map, key, dst, off]) =>
    slots(
      insn(Class.ST | Mode.MEM | Size.W, 10, 0, -4, key),
      ...ldMap(1, map),
      movReg(2, 10),
      add64(2, -4),
      callHelper(HelperId.MAP_LOOKUP_ELEM),
      insn(Class.JMP | Source.K | JmpOp.JEQ, 0, 0, 2, 0),
      insn(Class.LDX | Mode.MEM | Size.DW, dst, 0, off, 0),
      insn(Class.STX | Mode.ATOMIC | Size.DW, 0, dst, 0, AtomicOp.ADD),
    ),
  ),
  fc.tuple(fc.constantFrom(ARRAY_MAP, HASH_MAP), fc.integer({ min: 0, max: 5 }), value64, fc.integer({ min: 0, max: 3 })).map(([map, key, value, flags]) =>
    slots(
      insn(Class.ST | Mode.MEM | Size.W, 10, 0, -4, key),
      ...lddw(3, value),
      insn(Class.STX | Mode.MEM | Size.DW, 10, 3, -24, 0),
      insn(Class.STX | Mode.MEM | Size.DW, 10, 3, -16, 0),
      ...ldMap(1, map),
      movReg(2, 10),
      add64(2, -4),
      movReg(3, 10),
      add64(3, -24),
      mov64(4, flags),
      callHelper(HelperId.MAP_UPDATE_ELEM),
    ),
  ),
  fc.tuple(fc.constantFrom(ARRAY_MAP, HASH_MAP), fc.integer({ min: 0, max: 5 })).map(([map, key]) =>
    slots(insn(Class.ST | Mode.MEM | Size.W, 10, 0, -4, key), ...ldMap(1, map), movReg(2, 10), add64(2, -4), callHelper(HelperId.MAP_DELETE_ELEM)),
  ),
);

// Direct access to an array's value (ld_imm64 of a map value, as global data is reached), sometimes past its end.
const mapValueItem: fc.Arbitrary<Item> = fc
  .tuple(fc.constantFrom(ARRAY_MAP, READONLY_MAP, HASH_MAP, 7), fc.integer({ min: 0, max: MAP_VALUE_BYTES + 2 }), writable, fc.constantFrom(...SIZES), fc.integer({ min: -2, max: 12 }), fc.boolean())
  .map(([map, offset, dst, size, off, store]) =>
    slots(
      insn(LDDW, dst, PseudoLd.MAP_IDX_VALUE, 0, map),
      insn(0, 0, 0, 0, offset),
      store ? insn(Class.STX | Mode.MEM | size, dst, 8, off, 0) : insn(Class.LDX | Mode.MEM | size, 8, dst, off, 0),
    ),
  );

// The same array value reached directly, then through a lookup (which hands out a read-only
// region for a BPF_F_RDONLY_PROG map), then directly again: the pointers end up in r7 and r8.
const valueAliasItem: fc.Arbitrary<Item> = fc.constantFrom(ARRAY_MAP, READONLY_MAP).map((map) =>
  slots(
    insn(LDDW, 7, PseudoLd.MAP_IDX_VALUE, 0, map),
    insn(0),
    insn(Class.ST | Mode.MEM | Size.W, 10, 0, -4, 0),
    ...ldMap(1, map),
    movReg(2, 10),
    add64(2, -4),
    callHelper(HelperId.MAP_LOOKUP_ELEM),
    insn(LDDW, 8, PseudoLd.MAP_IDX_VALUE, 0, map),
    insn(0),
  ),
);

// Accesses right at the edges of the stack and of the input or packet, one byte either side.
const edgeItem = (mode: ProgramMode): fc.Arbitrary<Item> =>
  fc.tuple(fc.constantFrom(...SIZES), fc.integer({ min: -1, max: 1 }), fc.constantFrom("stack-top", "stack-bottom", "end"), fc.boolean(), writable).map(([size, delta, edge, store, reg]) => {
    const bytes = [1, 2, 4, 8][SIZES.indexOf(size)];
    const access = (base: number, off: number): Insn => (store ? insn(Class.STX | Mode.MEM | size, base, reg, off, 0) : insn(Class.LDX | Mode.MEM | size, reg === 7 ? 0 : reg, base, off, 0));
    if (edge === "stack-top") return slots(access(10, -bytes + delta));
    if (edge === "stack-bottom") return slots(access(10, -512 + delta));
    if (mode === "memory") return slots(access(BASE, INPUT_BYTES - bytes + delta));
    // data_end from the context, then the access just before (or after) it.
    return slots(insn(Class.LDX | Mode.MEM | Size.W, 7, CONTEXT, 4, 0), add64(7, delta - bytes), access(7, 0));
  });

// Helpers whose results depend on the instruction count (the clock) or the seeded random source.
const plainHelperItem: fc.Arbitrary<Item> = fc
  .constantFrom(HelperId.KTIME_GET_NS, HelperId.GET_PRANDOM_U32, HelperId.GET_SMP_PROCESSOR_ID, HelperId.KTIME_GET_BOOT_NS, 0x7fff)
  .map((id) => slots(callHelper(id)));

// XDP-only: moving the packet (then re-reading data into r9), redirects and tail calls.
const xdpItem: fc.Arbitrary<Item> = fc.oneof(
  fc.tuple(fc.constantFrom(HelperId.XDP_ADJUST_HEAD, HelperId.XDP_ADJUST_TAIL, HelperId.XDP_ADJUST_META), fc.constantFrom(-64, -20, -4, 0, 4, 14, 20, 400, -300)).map(([id, delta]) =>
    slots(movReg(1, CONTEXT), mov64(2, delta), callHelper(id), insn(Class.LDX | Mode.MEM | Size.W, BASE, CONTEXT, 0, 0)),
  ),
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 8 })).map(([slot, after]) =>
    slots(movReg(1, CONTEXT), ...ldMap(2, PROG_ARRAY), mov64(3, slot), callHelper(HelperId.TAIL_CALL), mov64(0, after)),
  ),
  // Touch the packet, move one of its edges, then read just inside or outside the new edges.
  fc
    .tuple(fc.constantFrom(HelperId.XDP_ADJUST_HEAD, HelperId.XDP_ADJUST_TAIL), fc.constantFrom(-8, -4, 4, 8), fc.integer({ min: -1, max: 0 }), fc.boolean())
    .map(([id, delta, inside, atEnd]) =>
      slots(
        insn(Class.LDX | Mode.MEM | Size.B, 7, BASE, 0, 0),
        movReg(1, CONTEXT),
        mov64(2, delta),
        callHelper(id),
        insn(Class.LDX | Mode.MEM | Size.W, BASE, CONTEXT, 0, 0),
        insn(Class.LDX | Mode.MEM | Size.W, 7, CONTEXT, atEnd ? 4 : 0, 0),
        insn(Class.LDX | Mode.MEM | Size.B, 8, 7, atEnd ? inside : -1 - inside, 0),
      ),
    ),
  fc.integer({ min: 0, max: 9 }).map((ifindex) => slots(mov64(1, ifindex), mov64(2, 0), callHelper(HelperId.REDIRECT))),
  // A helper writing into the stack: packet bytes copied to fp-off.
  fc.tuple(fc.integer({ min: 0, max: 40 }), fc.constantFrom(8, 16, 24), fc.integer({ min: 1, max: 16 })).map(([offset, below, length]) =>
    slots(movReg(1, CONTEXT), mov64(2, offset), movReg(3, 10), add64(3, -below), mov64(4, length), callHelper(HelperId.XDP_LOAD_BYTES)),
  ),
  // A context read of every xdp_md field, and a refused write.
  fc.tuple(writable, fc.integer({ min: -1, max: 25 })).map(([dst, off]) => slots(insn(Class.LDX | Mode.MEM | Size.W, dst, CONTEXT, off, 0))),
  fc.constant(slots(insn(Class.ST | Mode.MEM | Size.W, CONTEXT, 0, 0, 1))),
);

const loopItem: fc.Arbitrary<Item> = fc
  .tuple(fc.integer({ min: 1, max: 5 }), fc.array(fc.oneof(aluItem, memoryItem), { minLength: 1, maxLength: 4 }))
  .map(([count, body]) => ({ kind: "loop", count, body: body.flatMap((item) => (item.kind === "slots" ? item.slots : [])) }));

export interface GeneratedProgram {
  readonly mode: ProgramMode;
  readonly main: Insn[];
  // Initial register values r0-r8.
  readonly registers: readonly bigint[];
}

// `mapValues: false` leaves out everything that hands the program a pointer into a map value
// (lookups, direct value access): where such a pointer lands in memory, runs of one machine and
// fresh machines differ by design (CompiledSession keeps its address space).
// `definedAfterCalls: true` writes r1-r5 after every helper call: the calling convention leaves them
// undefined there (the verifier refuses a read), so a program that reads them may differ between any
// two implementations, the NIC's firmware calls among them. The interpreter tiers must agree even then.
export function programArbitrary(mode: ProgramMode, options: { readonly mapValues?: boolean; readonly definedAfterCalls?: boolean } = {}): fc.Arbitrary<GeneratedProgram> {
  const maps = (options.mapValues ?? true) ? 1 : 0;
  const defined = options.definedAfterCalls === true;
  const item = fc.oneof(
    { weight: 6, arbitrary: aluItem },
    { weight: 3, arbitrary: branchItem },
    { weight: 4, arbitrary: memoryItem },
    { weight: 1, arbitrary: compareExchangeItem },
    { weight: 2, arbitrary: stackCounterItem },
    { weight: maps, arbitrary: mapValueItem },
    { weight: maps, arbitrary: valueAliasItem },
    { weight: 2, arbitrary: edgeItem(mode) },
    { weight: 2 * maps, arbitrary: mapItem },
    { weight: 1, arbitrary: plainHelperItem },
    { weight: 1, arbitrary: loopItem },
    { weight: 1, arbitrary: fc.constant<Item>({ kind: "call" }) },
    { weight: mode === "xdp" ? 3 : 0, arbitrary: xdpItem },
  );
  return fc
    .tuple(fc.array(value64, { minLength: 9, maxLength: 9 }), fc.array(item, { minLength: 1, maxLength: 20 }), fc.array(aluItem, { maxLength: 4 }), fc.boolean())
    .map(([registers, items, calleeItems, recursive]) => ({ mode, registers, main: assemble(mode, registers, defined ? items.map(redefineAfterCalls) : items, calleeItems, recursive) }));
}

const isHelperCall = (i: Insn): boolean => i.opcode === (Class.JMP | JmpOp.CALL) && i.src === PseudoCall.HELPER;

// A slots item that calls a helper, followed by constants in r1-r5.
function redefineAfterCalls(item: Item): Item {
  if (item.kind !== "slots" || !item.slots.some(isHelperCall)) return item;
  return slots(...item.slots, ...[1, 2, 3, 4, 5].map((r) => mov64(r, r)));
}

// Lays the items out: prologue, body, epilogue, then the callee of every {kind: "call"}.
function assemble(mode: ProgramMode, registers: readonly bigint[], items: readonly Item[], calleeItems: readonly Item[], recursive: boolean): Insn[] {
  const prologue: Insn[] =
    mode === "memory"
      ? [movReg(BASE, 1)]
      : [movReg(CONTEXT, 1), insn(Class.LDX | Mode.MEM | Size.W, BASE, 1, 0, 0)];
  // r6 holds the context in XDP mode, so only r0-r5, r7, r8 get values there.
  registers.forEach((value, r) => {
    if (mode === "xdp" && r === CONTEXT) return;
    prologue.push(...lddw(r, value));
  });
  const lengths = items.map(itemSlots);
  const starts: number[] = [];
  let at = prologue.length;
  for (const length of lengths) {
    starts.push(at);
    at += length;
  }
  const epilogueStart = at;
  const epilogue = mode === "memory" ? memoryEpilogue() : foldEpilogue();
  const calleeStart = epilogueStart + epilogue.length;
  const body: Insn[] = [];
  items.forEach((item, i) => {
    const pc = starts[i];
    switch (item.kind) {
      case "slots":
        body.push(...item.slots);
        return;
      case "branch": {
        const target = i + 1 + item.skip < items.length ? starts[i + 1 + item.skip] : epilogueStart;
        body.push({ ...item.slot, off: target - (pc + 1) });
        return;
      }
      case "loop": {
        body.push(mov64(8, item.count), ...item.body, add64(8, -1));
        const back = pc + 1;
        const jumpPc = pc + 1 + item.body.length + 1;
        body.push(insn(Class.JMP | Source.K | JmpOp.JNE, 8, 0, back - (jumpPc + 1), 0));
        return;
      }
      case "call":
        body.push(insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.LOCAL, 0, calleeStart - (pc + 1)));
        return;
    }
  });
  // The callee: arithmetic on r0-r5, a stack round trip in its own frame, optionally calling itself (until the depth limit).
  const callee: Insn[] = [movReg(0, 1), insn(Class.STX | Mode.MEM | Size.DW, 10, 2, -8, 0)];
  for (const item of calleeItems) if (item.kind === "slots" && item.slots[0].dst <= 5) callee.push(...item.slots);
  callee.push(insn(Class.LDX | Mode.MEM | Size.DW, 3, 10, -8, 0), insn(Class.ALU64 | Source.X | AluOp.ADD, 0, 3, 0, 0));
  if (recursive) callee.push(insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.LOCAL, 0, -(callee.length + 1)));
  // Every register of the callee's frame reaches the caller through r0 (r6-r9 start at zero there).
  for (let r = 1; r <= 9; r++) callee.push(insn(Class.ALU64 | Source.K | AluOp.MUL, 0, 0, 0, 31), insn(Class.ALU64 | Source.X | AluOp.ADD, 0, r, 0, 0));
  callee.push(exit());
  return [...prologue, ...body, ...epilogue, ...callee];
}

function itemSlots(item: Item): number {
  switch (item.kind) {
    case "slots":
      return item.slots.length;
    case "branch":
    case "call":
      return 1;
    case "loop":
      return item.body.length + 3;
  }
}

// Every register r0-r8 stored to the input memory (8 bytes each from offset 0), then exit.
const memoryEpilogue = (): Insn[] => [...Array.from({ length: 9 }, (_, r) => insn(Class.STX | Mode.MEM | Size.DW, BASE, r, 8 * r, 0)), exit()];

// r0 = fold of r0-r8 (r0 * 31 + r_i), then exit: XDP runs show the registers through r0.
const foldEpilogue = (): Insn[] => [
  ...Array.from({ length: 8 }, (_, i) => [insn(Class.ALU64 | Source.K | AluOp.MUL, 0, 0, 0, 31), insn(Class.ALU64 | Source.X | AluOp.ADD, 0, i + 1, 0, 0)]).flat(),
  exit(),
];

// Any slot at all: valid and garbage opcodes, registers up to 15, short jumps both ways.
export const anySlot: fc.Arbitrary<Insn> = fc
  .record({
    opcode: fc.integer({ min: 0, max: 255 }),
    dst: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 15 })),
    src: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 15 })),
    off: fc.integer({ min: -12, max: 12 }),
    imm: imm32,
  })
  .map(({ opcode, dst, src, off, imm }) => insn(opcode, dst, src, off, imm));
