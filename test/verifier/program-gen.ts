// Compact random XDP programs for comparing verdicts with the kernel: a
// prologue (r6 = ctx, r7 = data, r8 = data_end, r9 = an unknown u32), a few
// blocks drawn from the things real programs do (packet bounds checks and
// accesses, stack spills, map lookups, loops, helper calls, pointer
// arithmetic), and an epilogue that returns an action. Blocks jump forward
// only (to the epilogue or over the next block), except the bounded loop.
// A mutation then perhaps breaks a valid program the way bugs do: a bounds
// check dropped, a register swapped, an offset off by one.
import fc from "fast-check";
import { type Instruction, toSlots } from "../../src/ebpf/describe.ts";
import type { Program } from "../../src/ebpf/instruction.ts";
import { aluOpNames, type AluOpName } from "../../src/ebpf/alu.ts";
import { jumpCondNames, type JumpCondName } from "../../src/ebpf/jump.ts";
import type { MapDef } from "../../src/maps/types.ts";
import { MapType } from "../../src/maps/types.ts";

// The maps every generated program may use, by index.
export const GEN_MAPS: readonly MapDef[] = [
  { name: "hash", type: MapType.HASH, keySize: 4, valueSize: 16, maxEntries: 8, flags: 0 },
  { name: "array", type: MapType.ARRAY, keySize: 4, valueSize: 32, maxEntries: 4, flags: 0 },
  { name: "percpu", type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 2, flags: 0 },
  { name: "devmap", type: MapType.DEVMAP, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  { name: "events", type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 },
  { name: "jumps", type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 },
];
const LOOKUP_MAPS = [0, 1, 2];

// A jump inside a block: to the epilogue, over the rest of this block, or a fixed relative offset.
type Target = { readonly to: "end" } | { readonly to: "block-end" } | { readonly to: "rel"; readonly offset: number } | { readonly to: "sub"; readonly index: number };
// `fixed` items are never mutated (a mutated loop can run to the 1,000,000-instruction limit, which costs seconds).
type Item = { readonly form: Instruction; readonly target?: Target; readonly fixed?: boolean };
type Block = readonly Item[];

// Registers the prologue initialises (r0, r3, r5 scalars; r9 an unknown u32), mostly used; any register now and then.
const SCRATCH = [0, 3, 5, 9] as const;
const reg = fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...SCRATCH) }, { weight: 1, arbitrary: fc.constantFrom(1, 2, 4) });
const anyReg = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(0, 3, 5, 9) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 10 }) });
const size = fc.constantFrom<1 | 2 | 4 | 8>(1, 2, 4, 8);
const smallImm = fc.oneof(fc.integer({ min: -4, max: 64 }), fc.constantFrom(0, 1, 255, 0xffff, -1, 0x7fffffff));

const op = (form: Instruction): Item => ({ form });
const mov = (dst: number, imm: number): Item => op({ kind: "alu", width: 64, op: "mov", source: "imm", dst, src: 0, imm });
const movReg = (dst: number, src: number): Item => op({ kind: "alu", width: 64, op: "mov", source: "reg", dst, src, imm: 0 });
const addImm = (dst: number, imm: number): Item => op({ kind: "alu", width: 64, op: "add", source: "imm", dst, src: 0, imm });
const load = (dst: number, src: number, off: number, sizeBytes: 1 | 2 | 4 | 8): Item => op({ kind: "load", sizeBytes, signed: false, dst, src, off });
const storeReg = (dst: number, src: number, off: number, sizeBytes: 1 | 2 | 4 | 8): Item => op({ kind: "storeReg", sizeBytes, dst, src, off });
const storeImm = (dst: number, off: number, imm: number, sizeBytes: 1 | 2 | 4 | 8): Item => op({ kind: "storeImm", sizeBytes, dst, off, imm });
const call = (helperId: number): Item => op({ kind: "callHelper", helperId });
const jcond = (opName: JumpCondName, dst: number, src: number | { imm: number }, target: Target): Item => ({
  form: typeof src === "number"
    ? { kind: "jcond", width: 64, op: opName, source: "reg", dst, src, imm: 0, offset: 0 }
    : { kind: "jcond", width: 64, op: opName, source: "imm", dst, src: 0, imm: src.imm, offset: 0 },
  target,
});
const gotoTarget = (target: Target): Item => ({ form: { kind: "ja", long: false, offset: 0 }, target });
const ldMap = (dst: number, index: number): Item => op({ kind: "lddw", dst, pseudo: "mapIdx", imm: index, nextImm: 0 });
const END: Target = { to: "end" };

// src/ebpf's operation names; the signed divisions last, the order the tests' fixed seeds were drawn in.
const isSignedDivision = (name: AluOpName): boolean => name === "sdiv" || name === "smod";
const aluOps: readonly AluOpName[] = [...aluOpNames.filter((name) => !isSignedDivision(name)), ...aluOpNames.filter(isSignedDivision)];
const condOps = jumpCondNames;

const movBlock = fc.tuple(reg, smallImm).map(([d, imm]): Block => [mov(d, imm)]);

const aluBlock = fc
  .tuple(fc.constantFrom(...aluOps), fc.constantFrom<32 | 64>(32, 64), anyReg, fc.boolean(), anyReg, smallImm)
  .map(([name, width, dst, fromReg, src, imm]): Block => [
    op({ kind: "alu", width, op: name, source: fromReg ? "reg" : "imm", dst, src: fromReg ? src : 0, imm: fromReg ? 0 : imm }),
  ]);

const packetRead = fc
  .tuple(fc.integer({ min: 8, max: 64 }), fc.integer({ min: 0, max: 64 }), size, reg, fc.boolean(), fc.integer({ min: 0, max: 9 }))
  .map(([checked, at, sz, dst, write, wild]): Block => {
    // Mostly inside the proven range; sometimes anywhere near it.
    const off = wild === 0 ? at - 2 : at % (checked - sz + 1);
    return [movReg(4, 7), addImm(4, checked), jcond("jgt", 4, 8, END), write ? storeReg(7, 9, off, sz) : load(dst, 7, off, sz)];
  });

// The same check written the other ways round (data_end on the left, < instead of >).
const packetReadOtherForms = fc
  .tuple(fc.integer({ min: 8, max: 40 }), fc.integer({ min: 0, max: 40 }), size, fc.constantFrom("lt", "ge-end", "le") as fc.Arbitrary<"lt" | "ge-end" | "le">)
  .map(([checked, at, sz, form]): Block => {
    const off = at % (checked - sz + 2);
    const access = load(0, 7, off, sz);
    switch (form) {
      case "lt":
        return [movReg(4, 7), addImm(4, checked), jcond("jlt", 4, 8, { to: "rel", offset: 1 }), gotoTarget(END), access];
      case "ge-end":
        return [movReg(4, 7), addImm(4, checked), jcond("jge", 8, 4, { to: "rel", offset: 1 }), gotoTarget(END), access];
      case "le":
        return [movReg(4, 7), addImm(4, checked), jcond("jle", 4, 8, { to: "rel", offset: 1 }), gotoTarget(END), access];
    }
  });

const stackBlock = fc
  .tuple(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 5 }), size, reg, fc.boolean(), smallImm, fc.integer({ min: 0, max: 20 }))
  .map(([slot, alignChoice, sz, r, isStore, imm, far]): Block => {
    const off = far === 0 ? -520 : alignChoice !== 0 ? -slot * 8 + (alignChoice % 2) * (8 - sz) : -slot * 8 + (slot % 7);
    if (!isStore) return [load(r, 10, off, sz)];
    return imm % 3 === 0 ? [storeImm(10, off, imm, sz)] : [storeReg(10, r, off, sz)];
  });

const mapBlock = fc
  .tuple(fc.constantFrom(...LOOKUP_MAPS), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 40 }), size, fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 3 }))
  .map(([mapIndex, key, checkChoice, at, sz, variant, keyForm]): Block => {
    const nullCheck = checkChoice !== 0;
    const valueSize = GEN_MAPS[mapIndex].valueSize;
    const off = at === 40 ? -1 : at % (valueSize - Math.min(sz, valueSize) + 2);
    const keyStore: Item[] =
      keyForm === 0 ? [storeImm(10, -8, key, 4)] : keyForm === 1 ? [mov(1, key), storeReg(10, 1, -8, 4)] : keyForm === 2 ? [storeReg(10, 9, -8, 4)] : [mov(1, key), storeReg(10, 1, -4, 4)];
    const keyPtr = keyForm === 3 ? -4 : -8;
    const lookup: Item[] = [...keyStore, movReg(2, 10), addImm(2, keyPtr), ldMap(1, mapIndex), call(1)];
    const check: Item[] = nullCheck ? [jcond("jeq", 0, { imm: 0 }, END)] : [];
    const use: Item[] =
      variant < 5 ? [load(3, 0, off, sz)]
      : variant < 7 ? [mov(3, 1), op({ kind: "atomic", sizeBytes: 8, op: "add", fetch: variant === 6, dst: 0, src: 3, off: off & ~7 })]
      : variant < 9 ? [movReg(3, 9), op({ kind: "alu", width: 64, op: "and", source: "imm", dst: 3, src: 0, imm: variant === 7 ? 15 : 31 }), op({ kind: "alu", width: 64, op: "add", source: "reg", dst: 0, src: 3, imm: 0 }), load(3, 0, 0, 1)]
      : [storeReg(0, 9, off, sz)];
    return [...lookup, ...check, ...use, mov(3, 0), movReg(5, 9)];
  });

const branchBlock = fc
  .tuple(fc.constantFrom(...condOps), fc.constantFrom<32 | 64>(64, 64, 32), anyReg, fc.boolean(), anyReg, smallImm, fc.boolean())
  .map(([name, width, dst, fromReg, src, imm, toEnd]): Block => [
    {
      form: { kind: "jcond", width, op: name, source: fromReg ? "reg" : "imm", dst, src: fromReg ? src : 0, imm: fromReg ? 0 : imm, offset: 0 },
      target: toEnd ? END : { to: "rel", offset: 1 },
    },
    mov(0, 1),
  ]);

const variablePacket = fc
  .tuple(fc.constantFrom(3, 7, 15, 31, 63, 255), size, fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 4 }))
  .map(([mask, sz, slack, recheck]): Block => [
    movReg(4, 7),
    addImm(4, 1),
    jcond("jgt", 4, 8, END),
    load(5, 7, 0, 1),
    op({ kind: "alu", width: 64, op: "and", source: "imm", dst: 5, src: 0, imm: mask }),
    movReg(4, 7),
    op({ kind: "alu", width: 64, op: "add", source: "reg", dst: 4, src: 5, imm: 0 }),
    ...(recheck !== 0 ? [movReg(3, 4), addImm(3, Math.max(1, sz - (slack % 2))), jcond("jgt", 3, 8, END)] : []),
    load(0, 4, slack > 6 ? 1 : 0, sz),
  ]);

// A bound proved by a comparison (any kind, 32- or 64-bit) and then used as an offset into the packet or a map value.
const comparedIndex = fc
  .tuple(fc.constantFrom(...condOps), fc.constantFrom<32 | 64>(32, 64), fc.integer({ min: -3, max: 70 }), fc.boolean(), fc.constantFrom(0, 1, 2), size, fc.boolean(), fc.integer({ min: 0, max: 3 }))
  .map(([cond, width, bound, jumpWhenTrue, target, sz, signedSource, extra]): Block => {
    const source: Item[] = signedSource ? [load(3, 7, 0, 1), op({ kind: "movsx", width: 64, dst: 3, src: 3, fromBits: 8 })] : [movReg(3, 9)];
    const guard: Item[] = [movReg(4, 7), addImm(4, 1), jcond("jgt", 4, 8, END), ...source];
    const cmp: Item = { form: { kind: "jcond", width, op: cond, source: "imm", dst: 3, src: 0, imm: bound, offset: 0 }, target: jumpWhenTrue ? END : { to: "rel", offset: 1 } };
    const skip: Item[] = jumpWhenTrue ? [] : [gotoTarget(END)];
    const second: Item[] = extra === 0 ? [jcond("jsgt", 3, { imm: 60 }, END)] : extra === 1 ? [jcond("jlt", 3, { imm: 2 }, END)] : [];
    if (target === 0) {
      return [...guard, cmp, ...skip, ...second, movReg(4, 7), op({ kind: "alu", width: 64, op: "add", source: "reg", dst: 4, src: 3, imm: 0 }), movReg(5, 4), addImm(5, sz), jcond("jgt", 5, 8, END), load(0, 4, 0, sz)];
    }
    const mapIndex = target === 1 ? 0 : 1;
    return [
      ...guard, cmp, ...skip, ...second,
      storeImm(10, -8, 0, 4), movReg(2, 10), addImm(2, -8), ldMap(1, mapIndex), call(1), jcond("jeq", 0, { imm: 0 }, END),
      op({ kind: "alu", width: 64, op: "add", source: "reg", dst: 0, src: 3, imm: 0 }), load(0, 0, 0, sz), mov(3, 0), movReg(5, 9),
    ];
  });

// A bound proved on a copy plus a constant (`r4 = r3; r4 += k; if r4 > b`), then the original used as an offset.
const linkedOffset = fc
  .tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 70 }), fc.constantFrom<JumpCondName>("jgt", "jge", "jsgt"), fc.boolean(), fc.integer({ min: 0, max: 6 }))
  .map(([k, bound, cond, twice, off]): Block => [
    movReg(3, 9),
    movReg(4, 3),
    addImm(4, k),
    ...(twice ? [addImm(4, 0)] : []),
    jcond(cond, 4, { imm: bound }, END),
    storeImm(10, -8, 0, 4), movReg(2, 10), addImm(2, -8), ldMap(1, 1), call(1), jcond("jeq", 0, { imm: 0 }, END),
    op({ kind: "alu", width: 64, op: "add", source: "reg", dst: 0, src: 3, imm: 0 }),
    load(0, 0, off, 1),
    mov(3, 0),
    movReg(5, 9),
  ]);

// A value spilled with one size and filled with another, then used as an index.
const spillFill = fc
  .tuple(fc.constantFrom<1 | 2 | 4 | 8>(1, 2, 4, 8), fc.constantFrom<1 | 2 | 4 | 8>(1, 2, 4, 8), fc.integer({ min: 0, max: 3 }), fc.constantFrom(15, 63, 255, 0xffff))
  .map(([spillSize, fillSize, delta, mask]): Block => [
    movReg(3, 9),
    op({ kind: "alu", width: 64, op: "and", source: "imm", dst: 3, src: 0, imm: mask }),
    storeReg(10, 3, -24, spillSize),
    load(4, 10, -24 + (delta === 3 ? 4 : 0), fillSize),
    movReg(3, 7),
    op({ kind: "alu", width: 64, op: "add", source: "reg", dst: 3, src: 4, imm: 0 }),
    movReg(5, 3),
    addImm(5, 1),
    jcond("jgt", 5, 8, END),
    load(0, 3, 0, 1),
    mov(3, 0),
  ]);

// Subprograms called by callBlock (r1 a scalar, r2 a packet or stack pointer): they return r0 and keep r6-r9.
const SUBPROGRAM_COUNT = 3;
// The bpf_loop callback (index LOOP_CALLBACK): adds the index (r1) to the u64 its context (r2) points to.
const LOOP_CALLBACK = 3;
const SUBPROGRAMS: readonly Block[] = [
  [movReg(0, 1), addImm(0, 1), op({ kind: "exit" })],
  [mov(0, 0), load(3, 2, 0, 1), op({ kind: "alu", width: 64, op: "add", source: "reg", dst: 0, src: 3, imm: 0 }), op({ kind: "exit" })],
  [mov(0, 1), storeImm(2, 0, 5, 4), load(0, 2, 0, 4), op({ kind: "exit" })],
  [load(3, 2, 0, 8), op({ kind: "alu", width: 64, op: "add", source: "reg", dst: 3, src: 1, imm: 0 }), storeReg(2, 3, 0, 8), mov(0, 0), op({ kind: "exit" })],
];

// Calls of the subprograms placed after the main program's exit.
const callBlock = fc.tuple(fc.integer({ min: 0, max: SUBPROGRAM_COUNT - 1 }), smallImm, fc.boolean()).map(([index, imm, stackArg]): Block => [
  mov(1, imm),
  stackArg ? movReg(2, 10) : movReg(2, 7),
  ...(stackArg ? [addImm(2, -32), storeImm(10, -32, 0, 8)] : []),
  { form: { kind: "callLocal", offset: 0 }, target: { to: "sub", index } },
  mov(3, 0),
  movReg(5, 9),
]);

const ringbufBlock = fc.tuple(fc.constantFrom(8, 16, 0, 4096), fc.integer({ min: -1, max: 16 }), fc.boolean(), fc.integer({ min: 0, max: 3 })).map(([bytes, off, submit, nullCheck]): Block => [
  ldMap(1, 4),
  mov(2, bytes),
  mov(3, 0),
  call(131),
  ...(nullCheck !== 0 ? [jcond("jeq", 0, { imm: 0 }, END)] : []),
  storeImm(0, off, 7, 4),
  movReg(1, 0),
  mov(2, 0),
  call(submit ? 132 : 133),
  mov(0, 0),
  mov(3, 0),
  movReg(5, 9),
]);

const pointerSpill = fc.tuple(fc.constantFrom(7, 6, 10, 8), fc.constantFrom(-8, -16, -40, -12), fc.constantFrom<1 | 2 | 4 | 8>(8, 8, 4), fc.integer({ min: 0, max: 3 })).map(([r, off, fillSize, access]): Block => [
  movReg(4, 7),
  addImm(4, 4),
  jcond("jgt", 4, 8, END),
  storeReg(10, r, off, 8),
  load(4, 10, off, fillSize),
  ...(access === 0 ? [load(0, 4, 0, 4)] : access === 1 ? [load(0, 4, 4, 1)] : []),
  mov(0, 0),
]);

const variableStack = fc.tuple(fc.constantFrom(3, 7, 15, 63), fc.constantFrom(-16, -64, -8, -512), size, fc.boolean()).map(([mask, base, sz, write]): Block => [
  movReg(3, 9),
  op({ kind: "alu", width: 64, op: "and", source: "imm", dst: 3, src: 0, imm: mask }),
  movReg(4, 10),
  addImm(4, base),
  op({ kind: "alu", width: 64, op: "add", source: "reg", dst: 4, src: 3, imm: 0 }),
  write ? storeImm(4, 0, 0, sz) : load(0, 4, 0, sz),
  mov(3, 0),
]);

const stackAtomic = fc.tuple(fc.constantFrom<"add" | "or" | "xchg" | "cmpxchg">("add", "or", "xchg", "cmpxchg"), fc.boolean(), fc.constantFrom<4 | 8>(4, 8), fc.constantFrom(-8, -16, -4)).map(([name, fetch, sz, off]): Block => [
  storeImm(10, off & ~(sz - 1), 0, sz),
  mov(3, 1),
  op({ kind: "atomic", sizeBytes: sz, op: name, fetch: name === "xchg" || name === "cmpxchg" ? true : fetch, dst: 10, src: 3, off: off & ~(sz - 1) }),
  mov(3, 0),
]);

const tailCallBlock = fc.integer({ min: 0, max: 3 }).map((slot): Block => [movReg(1, 6), ldMap(2, 5), mov(3, slot), call(12), mov(0, 2), mov(3, 0), movReg(5, 9)]);

const metaBlock = fc.tuple(fc.integer({ min: 1, max: 8 }), size).map(([checked, sz]): Block => [
  load(2, 6, 8, 4),
  movReg(4, 2),
  addImm(4, checked),
  jcond("jgt", 4, 7, END),
  load(0, 2, 0, sz),
  mov(0, 0),
]);

const wideConstant = fc.tuple(reg, fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })).map(([d, v]): Block => {
  const u = BigInt.asUintN(64, v);
  return [op({ kind: "lddw", dst: d, pseudo: "imm64", imm: Number(BigInt.asIntN(32, u)), nextImm: Number(BigInt.asIntN(32, u >> 32n)) })];
});

// bpf_loop(n, callback, &counter, 0), then the counter used as an offset into the packet (needs a bound).
const bpfLoopBlock = fc.tuple(fc.integer({ min: 0, max: 20 }), fc.boolean(), fc.constantFrom(-40, -44, -8)).map(([n, useCounter, off]): Block => [
  storeImm(10, off, 0, 8),
  mov(1, n),
  { form: { kind: "lddw", dst: 2, pseudo: "func", imm: 0, nextImm: 0 }, target: { to: "sub", index: LOOP_CALLBACK } },
  movReg(3, 10),
  addImm(3, off),
  mov(4, 0),
  call(181),
  ...(useCounter ? [load(3, 10, off, 8), op({ kind: "alu", width: 64, op: "and", source: "imm", dst: 3, src: 0, imm: 15 }), movReg(4, 7), op({ kind: "alu", width: 64, op: "add", source: "reg", dst: 4, src: 3, imm: 0 }), movReg(5, 4), addImm(5, 1), jcond("jgt", 5, 8, END), load(0, 4, 0, 1)] : []),
  mov(0, 0),
  mov(3, 0),
  movReg(5, 9),
]);

const loopBlock = fc
  .tuple(reg, fc.integer({ min: 1, max: 24 }), fc.constantFrom<JumpCondName>("jlt", "jle", "jslt"))
  .map(([r, n, cond]): Block => [mov(r, 0), addImm(r, 1), jcond(cond, r, { imm: n }, { to: "rel", offset: -2 })].map((item) => ({ ...item, fixed: true })));

const helperBlock = fc
  .constantFrom<Block>(
    [call(5)],
    [call(7)],
    [call(8)],
    [movReg(1, 6), call(188)],
    [ldMap(1, 3), mov(2, 0), mov(3, 2), call(51)],
    [mov(1, 0), mov(2, 0), movReg(3, 10), addImm(3, -16), mov(4, 8), mov(5, 0), call(28)],
  )
  .map((b): Block => [...b, mov(3, 0), movReg(5, 9)]);

const adjustBlock = fc.tuple(fc.integer({ min: -20, max: 20 }), fc.integer({ min: 0, max: 3 })).map(([delta, reload]): Block => [
  movReg(1, 6),
  mov(2, delta),
  call(44),
  ...(reload !== 0 ? [load(7, 6, 0, 4), load(8, 6, 4, 4)] : []),
  mov(3, 0),
  movReg(5, 9),
]);

const pointerBlock = fc.tuple(anyReg, anyReg, fc.constantFrom<AluOpName>("add", "sub")).map(([d, s, name]): Block => [
  op({ kind: "alu", width: 64, op: name, source: "reg", dst: d, src: s, imm: 0 }),
]);

const miscBlock = fc.oneof(
  fc.tuple(reg, reg, fc.constantFrom<8 | 16 | 32>(8, 16, 32)).map(([d, s, bits]): Block => [op({ kind: "movsx", width: 64, dst: d, src: s, fromBits: bits })]),
  fc.tuple(reg, fc.constantFrom<"le" | "be">("le", "be"), fc.constantFrom<16 | 32 | 64>(16, 32, 64)).map(([d, o, bits]): Block => [op({ kind: "endian", op: o, bits, dst: d })]),
  reg.map((d): Block => [op({ kind: "neg", width: 64, dst: d })]),
  fc.tuple(reg, fc.oneof({ weight: 9, arbitrary: fc.constantFrom(0, 4, 8, 12, 16) }, { weight: 1, arbitrary: fc.integer({ min: -4, max: 24 }) })).map(([d, off]): Block => [load(d, 6, off, 4)]),
);

export const block: fc.Arbitrary<Block> = fc.oneof(
  { weight: 3, arbitrary: movBlock },
  { weight: 4, arbitrary: aluBlock },
  { weight: 5, arbitrary: packetRead },
  { weight: 2, arbitrary: packetReadOtherForms },
  { weight: 3, arbitrary: stackBlock },
  { weight: 5, arbitrary: mapBlock },
  { weight: 3, arbitrary: branchBlock },
  { weight: 3, arbitrary: variablePacket },
  { weight: 1, arbitrary: loopBlock },
  { weight: 4, arbitrary: comparedIndex },
  { weight: 2, arbitrary: spillFill },
  { weight: 2, arbitrary: linkedOffset },
  { weight: 2, arbitrary: helperBlock },
  { weight: 1, arbitrary: adjustBlock },
  { weight: 1, arbitrary: pointerBlock },
  { weight: 2, arbitrary: miscBlock },
  { weight: 2, arbitrary: callBlock },
  { weight: 2, arbitrary: ringbufBlock },
  { weight: 2, arbitrary: pointerSpill },
  { weight: 2, arbitrary: variableStack },
  { weight: 1, arbitrary: stackAtomic },
  { weight: 1, arbitrary: tailCallBlock },
  { weight: 1, arbitrary: metaBlock },
  { weight: 1, arbitrary: wideConstant },
  { weight: 1, arbitrary: bpfLoopBlock },
);


const prologue: Block = [movReg(6, 1), load(7, 6, 0, 4), load(8, 6, 4, 4), load(9, 6, 16, 4), mov(0, 0), mov(3, 0), load(5, 6, 12, 4)];

export type Mutation =
  | { readonly kind: "none" }
  // A conditional jump becomes `goto +0`: its check is gone.
  | { readonly kind: "drop-check"; readonly which: number }
  | { readonly kind: "swap-register"; readonly which: number; readonly reg: number; readonly side: "dst" | "src" }
  | { readonly kind: "off-by-one"; readonly which: number; readonly delta: 1 | -1 };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Mutation>({ kind: "none" }) },
  { weight: 2, arbitrary: fc.nat(1000).map((which): Mutation => ({ kind: "drop-check", which })) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(1000), fc.integer({ min: 0, max: 10 }), fc.constantFrom<"dst" | "src">("dst", "src")).map(([which, r, side]): Mutation => ({ kind: "swap-register", which, reg: r, side })) },
  { weight: 2, arbitrary: fc.tuple(fc.nat(1000), fc.constantFrom<1 | -1>(1, -1)).map(([which, delta]): Mutation => ({ kind: "off-by-one", which, delta })) },
);

export interface GeneratedProgram {
  readonly program: Program;
  readonly mutation: Mutation;
}

export const generatedProgram: fc.Arbitrary<GeneratedProgram> = fc
  .tuple(fc.array(block, { minLength: 1, maxLength: 7 }), fc.integer({ min: 0, max: 4 }), fc.boolean(), mutation)
  .map(([blocks, action, fromReg, m]) => {
    const epilogue: Block = fromReg ? [op({ kind: "alu", width: 64, op: "and", source: "imm", dst: 0, src: 0, imm: 3 }), op({ kind: "exit" })] : [mov(0, action), op({ kind: "exit" })];
    const { forms, fixed } = layout([prologue.map((item) => ({ ...item, fixed: true })), ...blocks], epilogue, SUBPROGRAMS);
    return { program: applyMutation(forms, m, fixed).flatMap(toSlots), mutation: m };
  });

// Resolve the symbolic jump targets into offsets (all blocks laid out in order, then the epilogue).
function layout(blocks: readonly Block[], epilogue: Block, subprograms: readonly Block[]): { forms: Instruction[]; fixed: Set<number> } {
  const slotsOf = (form: Instruction): number => (form.kind === "lddw" ? 2 : 1);
  const blockStarts: number[] = [];
  let pc = 0;
  for (const b of blocks) {
    blockStarts.push(pc);
    for (const item of b) pc += slotsOf(item.form);
  }
  const endPc = pc;
  // The subprograms follow the epilogue; only those the blocks call are placed (an uncalled one would be unreachable).
  const called = [...new Set(blocks.flatMap((b) => b.flatMap((item) => (item.target?.to === "sub" ? [item.target.index] : []))))].sort();
  const subStart = new Map<number, number>();
  let subPc = endPc + epilogue.reduce((n, item) => n + slotsOf(item.form), 0);
  for (const index of called) {
    subStart.set(index, subPc);
    subPc += subprograms[index].reduce((n, item) => n + slotsOf(item.form), 0);
  }
  const out: Instruction[] = [];
  const fixed = new Set<number>();
  pc = 0;
  blocks.forEach((b, bi) => {
    const blockEnd = bi + 1 < blocks.length ? blockStarts[bi + 1] : endPc;
    for (const item of b) {
      let form = item.form;
      if (item.target && (form.kind === "jcond" || form.kind === "ja" || form.kind === "callLocal" || form.kind === "lddw")) {
        const t = item.target;
        const target = t.to === "end" ? endPc : t.to === "block-end" ? blockEnd : t.to === "sub" ? subStart.get(t.index)! : pc + 1 + t.offset;
        // A function address (lddw func) holds its relative target in imm.
        form = form.kind === "lddw" ? { ...form, imm: target - (pc + 1) } : { ...form, offset: target - (pc + 1) };
      }
      if (item.fixed) fixed.add(out.length);
      out.push(form);
      pc += slotsOf(form);
    }
  });
  for (const item of epilogue) out.push(item.form);
  for (const index of called) for (const item of subprograms[index]) out.push(item.form);
  return { forms: out, fixed };
}

// Mutations target the blocks, never the prologue or a loop (`fixed`).
function applyMutation(forms: Instruction[], m: Mutation, fixed: ReadonlySet<number>): Instruction[] {
  switch (m.kind) {
    case "none":
      return forms;
    case "drop-check": {
      const jumps = forms.map((f, i) => (f.kind === "jcond" ? i : -1)).filter((i) => i >= 0 && !fixed.has(i));
      if (jumps.length === 0) return forms;
      const i = jumps[m.which % jumps.length];
      return forms.map((f, j) => (j === i ? { kind: "ja", long: false, offset: 0 } : f));
    }
    case "swap-register": {
      const candidates = forms.map((f, i) => (f.kind === "alu" || f.kind === "load" || f.kind === "storeReg" || f.kind === "jcond" ? i : -1)).filter((i) => i >= 0 && !fixed.has(i));
      if (candidates.length === 0) return forms;
      const i = candidates[m.which % candidates.length];
      return forms.map((f, j) => (j === i && m.side in f ? ({ ...f, [m.side]: m.reg } as Instruction) : f));
    }
    case "off-by-one": {
      const candidates = forms.map((f, i) => (f.kind === "load" || f.kind === "storeReg" || f.kind === "storeImm" || (f.kind === "alu" && f.source === "imm" && f.op === "add") || (f.kind === "jcond" && f.source === "imm") ? i : -1)).filter((i) => i >= 0 && !fixed.has(i));
      if (candidates.length === 0) return forms;
      const i = candidates[m.which % candidates.length];
      return forms.map((f, j) => {
        if (j !== i) return f;
        if (f.kind === "load" || f.kind === "storeReg" || f.kind === "storeImm") return { ...f, off: f.off + m.delta };
        if (f.kind === "alu" || f.kind === "jcond") return { ...f, imm: f.imm + m.delta };
        return f;
      });
    }
  }
}

