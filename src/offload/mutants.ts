// TEST-ONLY fault injection for the equivalence suite's mutation test
// (test/equiv/mutation.test.ts, docs/equivalence.md). Each mutant is one
// deliberate bug in the code generator, switched on by naming it in the
// environment variable OFFLOAD_SIM_MUTANT of a child process; unset (always,
// outside that test) the code generator is exactly itself. The variable is
// read once, when this module loads.
export const MUTANT_ENV = "OFFLOAD_SIM_MUTANT";

export const MUTANT_NAMES = [
  // 64-bit add: the high words are added without the carry out of the low words (lower-alu.ts addSub64).
  "add64-no-carry",
  // Packet and map-value loads read the big-endian words without the byte swap to eBPF's little-endian order (lower-memory.ts lowerLoad).
  "load-missing-byte-swap",
  // A packet bounds check `data + n > data_end` is compiled as `>=` (lower-jump.ts lowerBranch).
  "packet-bound-off-by-one",
  // A register move reads the A-bank register with the B-bank register's number (regalloc.ts finish).
  "mov-wrong-register-bank",
  // A handover between stages leaves the highest carried register behind (codegen.ts carried).
  "handover-drops-register",
  // A 64-bit atomic add on a map value adds only the low word (lower-memory.ts lowerAtomic).
  "atomic64-as-32",
  // A 64-bit move of a scalar register writes the source's high word into the destination's low word and the
  // low word into the high word (lower-alu.ts lowerAlu): one register corrupted, both words still in registers.
  "mov64-swaps-words",
] as const;

export type MutantName = (typeof MUTANT_NAMES)[number];

const requested = typeof process === "undefined" ? undefined : process.env[MUTANT_ENV];
const active: MutantName | undefined = (MUTANT_NAMES as readonly string[]).includes(requested ?? "") ? (requested as MutantName) : undefined;

export function activeMutant(): MutantName | undefined {
  return active;
}
