// The hand-written demo program: parse Ethernet and IPv4, count IPv4 packets per
// protocol into an array map (256 u64 counters, little-endian as the host keeps
// them) placed in internal memory, drop UDP, pass the rest.
//   shorter than an Ethernet header          -> drop
//   EtherType not IPv4                       -> pass (to the host)
//   IPv4 but shorter than 34 bytes           -> drop
//   IPv4: counters[protocol] += 1; UDP (17)  -> drop, other protocols -> pass
import type { BpfMap } from "../../src/maps/types.ts";
import { assemble } from "../isa/asm.ts";
import type { NicImage } from "../image.ts";

export const PROTO_COUNT_SOURCE = `
; proto-count: count IPv4 packets per protocol in map #0, drop UDP, pass the rest.
    csr_rd    a0, pkt_len
    sub       --, a0, #14
    blt       drop                      ; shorter than an Ethernet header
    csr_rd    a1, data
    mem_rd    x0, a1, #12, #2, s1, swap ; EtherType (big-endian, right-aligned)
    immed     b0, #0x0800
    sub       --, x0, b0
    bne       pass                      ; not IPv4: up to the host
    sub       --, a0, #34
    blt       drop                      ; IPv4 header cut short
    mem_rd    x1, a1, #23, #1, s2, swap ; IPv4 protocol byte
    mov       a2, x1
    ; the key: the protocol as a little-endian u32 at local-memory offset 0 (the stack)
    immed     b1, #0
    lm_base   l0, b1
    lm_st     l0, #0, a2, #1
    lm_st     l0, #1, b1, #1
    lm_st     l0, #2, b1, #2
    immed     a3, #0
    immed_w1  a3, #0x3000               ; 0x30000000: local memory, offset 0
    fwcall    map_lookup a4, #0, a3
    sub       --, a4, #0
    beq       pass                      ; an array lookup cannot miss; checked as eBPF requires
    immed     x2, #1
    immed     x3, #0
    mem_add.le x2, a4, #0, #8, s3, swap ; counters[protocol] += 1 (atomic, 64-bit little-endian)
    sub       --, a2, #17
    beq       drop                      ; UDP
pass:
    verdict   pass
drop:
    verdict   drop
`;

export const PROTO_COUNT_MAP_UNIT = "imem0";

// The demo as an image: one stage on `cores`, the counter map in internal memory.
export function protoCountImage(counters: BpfMap, cores: readonly number[]): NicImage {
  return {
    stages: [{ name: "proto-count", program: assemble(PROTO_COUNT_SOURCE, "proto-count.uc"), cores }],
    maps: [{ map: counters, unit: PROTO_COUNT_MAP_UNIT }],
  };
}
