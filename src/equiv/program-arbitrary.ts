// The fast-check arbitrary of generated XDP programs: a ProgramSpec drawn
// with edge-heavy immediates and nested steps (branches around steps, one
// level of bounded loops), compiled to eBPF by program-compile.ts. Shrinking
// works on the spec: fewer steps, flatter nesting, smaller constants, and
// every shrunk spec still compiles to a verifier-accepted program.
import fc from "fast-check";
import { compileProgram, SCRATCH_SLOTS, type GeneratedProgram } from "./program-compile.ts";
import type { BinOp, CondOp, FunctionSpec, Operand, ProgramSpec, Step, ValueOp, Width } from "./program-spec.ts";

export interface ProgramArbitraryOptions {
  // Steps at the top level of the entry function.
  readonly maxSteps?: number;
  readonly maxFunctions?: number;
}

const DEFAULT_MAX_STEPS = 10;
const DEFAULT_MAX_FUNCTIONS = 2;
const MAX_NESTED_STEPS = 4;
const MAX_LOOP_COUNT = 5;
const MAX_VALUE_OPS = 3;
// The prologue's bounds check: at least an Ethernet header, at most what most generated packets hold.
const MIN_BOUND_BYTES = 14;
const MAX_BOUND_BYTES = 64;

const IMM_EDGES = [0, 1, -1, 2, 7, 8, 15, 16, 31, 32, 63, 0xff, 0xffff, 0x7fffffff, -0x80000000, 0x1234_5678];
const VALUE64_EDGES = [0n, 1n, -1n, 0xffff_ffffn, 0x1_0000_0000n, 0x8000_0000_0000_0000n, 0x7fff_ffff_ffff_ffffn, 0x0123_4567_89ab_cdefn];
const BIN_OPS: readonly BinOp[] = ["add", "sub", "mul", "div", "sdiv", "or", "and", "lsh", "rsh", "mod", "smod", "xor", "mov", "arsh"];
const COND_OPS: readonly CondOp[] = ["jeq", "jne", "jgt", "jge", "jlt", "jle", "jsgt", "jsge", "jslt", "jsle", "jset"];
const KEY_MASKS = [0x7, 0xf, 0xff, 0xffff_ffff];
const VAR_MASKS = [0x3c, 0x0f, 0x3f, 0x1f];

const reg = fc.nat({ max: 15 });
const imm32 = fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...IMM_EDGES) }, { weight: 1, arbitrary: fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }) });
const value64 = fc.oneof(fc.constantFrom(...VALUE64_EDGES), fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }));
const operand: fc.Arbitrary<Operand> = fc.oneof(fc.record({ reg }), fc.record({ imm: imm32 }));
const width = fc.constantFrom<Width>(1, 2, 4, 8);
const slot = fc.nat({ max: SCRATCH_SLOTS - 1 });

const valueOp: fc.Arbitrary<ValueOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant("read" as const), size: fc.constantFrom<4 | 8>(4, 8), slot: fc.nat({ max: 3 }), dst: reg }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("atomic" as const), op: fc.constant("add" as const), fetch: fc.constant(false), size: fc.constantFrom<4 | 8>(4, 8), slot: fc.nat({ max: 3 }), src: reg }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("atomic" as const), op: fc.constantFrom<"add" | "or" | "and" | "xor" | "xchg">("add", "or", "and", "xor", "xchg"), fetch: fc.boolean(), size: fc.constantFrom<4 | 8>(4, 8), slot: fc.nat({ max: 3 }), src: reg }) },
);

// Steps that need neither packet nor maps: what a bpf-to-bpf function may do.
const pureLeaf: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ k: fc.constant("alu" as const), wide: fc.boolean(), op: fc.constantFrom(...BIN_OPS), dst: reg, src: operand }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("const64" as const), dst: reg, value: value64 }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("neg" as const), wide: fc.boolean(), dst: reg }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("endian" as const), toBe: fc.boolean(), bits: fc.constantFrom<16 | 32 | 64>(16, 32, 64), dst: reg }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("spill" as const), slot, src: reg }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("fill" as const), slot, dst: reg }) },
);

const leaf: fc.Arbitrary<Step> = fc.oneof(
  { weight: 10, arbitrary: pureLeaf },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("pktLoad" as const), size: width, off: fc.nat({ max: MAX_BOUND_BYTES }), dst: reg }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("pktStore" as const), size: width, off: fc.nat({ max: MAX_BOUND_BYTES }), src: reg }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("varLoad" as const), lenOff: fc.nat({ max: MAX_BOUND_BYTES }), mask: fc.constantFrom(...VAR_MASKS), size: width, dst: reg }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("lookup" as const), map: fc.nat({ max: 2 }), key: reg, mask: fc.constantFrom(...KEY_MASKS), ops: fc.array(valueOp, { minLength: 1, maxLength: MAX_VALUE_OPS }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("update" as const), map: fc.nat({ max: 2 }), key: reg, mask: fc.constantFrom(...KEY_MASKS), value: reg, flags: fc.nat({ max: 2 }), dst: reg }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("delete" as const), map: fc.nat({ max: 2 }), key: reg, mask: fc.constantFrom(...KEY_MASKS), dst: reg }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("random" as const), dst: reg }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("call" as const), fn: fc.nat({ max: 3 }), args: fc.array(reg, { minLength: 3, maxLength: 3 }), dst: reg }) },
);

const skipOf = (inner: fc.Arbitrary<Step>): fc.Arbitrary<Step> =>
  fc.record({ k: fc.constant("skip" as const), wide: fc.boolean(), cond: fc.constantFrom(...COND_OPS), a: reg, b: operand, body: fc.array(inner, { minLength: 1, maxLength: MAX_NESTED_STEPS }) });

// Two levels: a step may be a branch or loop around leaves or branches around leaves.
const nested = fc.oneof({ weight: 4, arbitrary: leaf }, { weight: 1, arbitrary: skipOf(leaf) });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: leaf },
  { weight: 2, arbitrary: skipOf(nested) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("loop" as const), count: fc.integer({ min: 1, max: MAX_LOOP_COUNT }), body: fc.array(nested, { minLength: 1, maxLength: MAX_NESTED_STEPS }) }) },
);
const functionSpec: fc.Arbitrary<FunctionSpec> = fc.record({
  body: fc.array(fc.oneof({ weight: 4, arbitrary: pureLeaf }, { weight: 1, arbitrary: skipOf(pureLeaf) }), { minLength: 1, maxLength: MAX_NESTED_STEPS }),
});

export function programSpecArbitrary(options: ProgramArbitraryOptions = {}): fc.Arbitrary<ProgramSpec> {
  return fc.record({
    boundBytes: fc.integer({ min: MIN_BOUND_BYTES, max: MAX_BOUND_BYTES }),
    init: fc.array(value64, { minLength: 7, maxLength: 7 }),
    body: fc.array(step, { maxLength: options.maxSteps ?? DEFAULT_MAX_STEPS }),
    functions: fc.array(functionSpec, { maxLength: options.maxFunctions ?? DEFAULT_MAX_FUNCTIONS }),
    actionReg: fc.nat({ max: 6 }),
  });
}

export function programArbitrary(options: ProgramArbitraryOptions = {}): fc.Arbitrary<GeneratedProgram> {
  return programSpecArbitrary(options).map(compileProgram);
}
