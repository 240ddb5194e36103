// The generated XDP programs as plain data: a list of steps (ALU chains in 32
// and 64 bits, byte swaps, packet loads and stores behind a bounds check,
// variable-offset parsing, stack spills, map lookups / updates / deletes with
// value reads and atomics, prandom, bounded loops, bpf-to-bpf calls, forward
// branches around nested steps). A register in a step is an index into the
// registers that hold scalars at that point, so every list of steps, and
// every list fast-check shrinks it to, compiles to a program the verifier
// accepts (src/equiv/program-compile.ts).

export type BinOp = "add" | "sub" | "mul" | "div" | "sdiv" | "or" | "and" | "lsh" | "rsh" | "mod" | "smod" | "xor" | "mov" | "arsh";
export type CondOp = "jeq" | "jne" | "jgt" | "jge" | "jlt" | "jle" | "jsgt" | "jsge" | "jslt" | "jsle" | "jset";
export type Operand = { readonly reg: number } | { readonly imm: number };
// Access widths in bytes.
export type Width = 1 | 2 | 4 | 8;

export type ValueOp =
  | { readonly k: "read"; readonly size: 4 | 8; readonly slot: number; readonly dst: number }
  // lock *(u32/u64 *)(value + off) op= src (fetch: src gets the old value).
  | { readonly k: "atomic"; readonly op: "add" | "or" | "and" | "xor" | "xchg"; readonly fetch: boolean; readonly size: 4 | 8; readonly slot: number; readonly src: number };

export type Step =
  | { readonly k: "alu"; readonly wide: boolean; readonly op: BinOp; readonly dst: number; readonly src: Operand }
  | { readonly k: "const64"; readonly dst: number; readonly value: bigint }
  | { readonly k: "neg"; readonly wide: boolean; readonly dst: number }
  | { readonly k: "endian"; readonly toBe: boolean; readonly bits: 16 | 32 | 64; readonly dst: number }
  | { readonly k: "pktLoad"; readonly size: Width; readonly off: number; readonly dst: number }
  | { readonly k: "pktStore"; readonly size: Width; readonly off: number; readonly src: number }
  // Reads the byte at lenOff, masks it, and loads `size` bytes that far into the packet if they are there.
  | { readonly k: "varLoad"; readonly lenOff: number; readonly mask: number; readonly size: Width; readonly dst: number }
  | { readonly k: "spill"; readonly slot: number; readonly src: number }
  | { readonly k: "fill"; readonly slot: number; readonly dst: number }
  | { readonly k: "skip"; readonly wide: boolean; readonly cond: CondOp; readonly a: number; readonly b: Operand; readonly body: readonly Step[] }
  | { readonly k: "loop"; readonly count: number; readonly body: readonly Step[] }
  | { readonly k: "lookup"; readonly map: number; readonly key: number; readonly mask: number; readonly ops: readonly ValueOp[] }
  | { readonly k: "update"; readonly map: number; readonly key: number; readonly mask: number; readonly value: number; readonly flags: number; readonly dst: number }
  | { readonly k: "delete"; readonly map: number; readonly key: number; readonly mask: number; readonly dst: number }
  | { readonly k: "random"; readonly dst: number }
  | { readonly k: "call"; readonly fn: number; readonly args: readonly number[]; readonly dst: number };

// A bpf-to-bpf function: scalar arguments in r1..r3, a scalar result in r0.
export interface FunctionSpec {
  readonly body: readonly Step[];
}

export interface ProgramSpec {
  // Bytes the prologue checks are in the packet (shorter packets return XDP_PASS at once).
  readonly boundBytes: number;
  // Initial values of the scalar registers.
  readonly init: readonly bigint[];
  readonly body: readonly Step[];
  readonly functions: readonly FunctionSpec[];
  // The register whose low two bits are the action.
  readonly actionReg: number;
}
