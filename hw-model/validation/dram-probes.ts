// The DRAM microbenchmarks of Krude et al., "Determination of Throughput
// Guarantees for Processor-based SmartNICs" (CoNEXT '21, §4.2): programs that
// look up key 0 of an array map and then either read N consecutive u32 words of
// the value, dropping the packet at the first non-zero one (their
// examples/xdp-lookupN.c), or add 5 to word 0 N times with atomic adds and pass
// the packet (their examples/xdp-inc.sh). Run on enough cores, the memory
// engine holding the map is the bottleneck; the paper reports its rate of reads
// and of atomic adds.
import type { BpfMap } from "../../src/maps/types.ts";
import { assemble } from "../isa/asm.ts";
import type { NicImage } from "../image.ts";

// Transfer registers and signals the atomic chain may use, one per add in flight (s15 is the firmware's).
export const MAX_ATOMIC_CHAIN = 14;
export const ATOMIC_ADDEND = 5;
export const WORD_BYTES = 4;

// Key 0 as a little-endian u32 on the stack, then the lookup; a missing value passes the packet.
const LOOKUP_KEY_0 = `
    immed     a0, #0
    lm_base   l0, a0
    lm_st     l0, #0, a0, #4
    immed     a1, #0
    immed_w1  a1, #0x3000                  ; 0x30000000: the key on the stack
    fwcall    map_lookup a2, #0, a1
    sub       --, a2, #0
    beq       pass
`;

export function lookupChainSource(reads: number): string {
  if (!Number.isInteger(reads) || reads < 1) throw new RangeError(`lookupChainSource: reads must be a positive integer, got ${reads}`);
  const body = Array.from(
    { length: reads },
    (_, i) => `    mem_rd.le x0, a2, #${i * WORD_BYTES}, #${WORD_BYTES}, s1, swap   ; value[${i}]\n    sub       --, x0, #0\n    bne       drop\n`,
  ).join("");
  return `; lookup${reads}: ${reads} dependent u32 reads of one map value, drop at the first non-zero word${LOOKUP_KEY_0}${body}pass:\n    verdict   pass\ndrop:\n    verdict   drop\n`;
}

export function atomicChainSource(adds: number): string {
  if (!Number.isInteger(adds) || adds < 1 || adds > MAX_ATOMIC_CHAIN) throw new RangeError(`atomicChainSource: adds must be an integer from 1 to ${MAX_ATOMIC_CHAIN}, got ${adds}`);
  const issue = Array.from(
    { length: adds },
    (_, i) => `    immed     x${i}, #${ATOMIC_ADDEND}\n    mem_add.le x${i}, a2, #0, #${WORD_BYTES}, s${i + 1}       ; value[0] += ${ATOMIC_ADDEND}, not waited for\n`,
  ).join("");
  const signals = Array.from({ length: adds }, (_, i) => `s${i + 1}`).join(", ");
  return `; inc${adds}: ${adds} atomic adds to word 0 of one map value, then pass${LOOKUP_KEY_0}${issue}    ctx_arb   ${signals}\npass:\n    verdict   pass\n`;
}

export function dramProbeImage(name: string, source: string, table: BpfMap, cores: readonly number[], unit = "emem0"): NicImage {
  return { stages: [{ name, program: assemble(source, `${name}.uc`), cores }], maps: [{ map: table, unit }] };
}
