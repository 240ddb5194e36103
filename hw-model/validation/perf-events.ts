// A program that reports every packet to user space with bpf_perf_event_output,
// as Netronome's xdpdump demo (bpf-samples/xdpdump) does in offload mode: 16
// bytes of metadata from the stack plus the first 64 bytes of the packet, to the
// current CPU's ring, then drop. Used to compare the model's event rate with
// the rates the nfp driver's authors reported for offloaded perf events.
import type { BpfMap } from "../../src/maps/types.ts";
import { assemble } from "../isa/asm.ts";
import type { NicImage } from "../image.ts";

export const PERF_SAMPLE_BYTES = 64;

export const PERF_EVENTS_SOURCE = `
; perf-events: one event per packet (16 bytes of metadata + 64 packet bytes), then drop
    csr_rd    a0, data
    csr_rd    b0, pkt_len
    sub       --, b0, #64
    blt       drop
    mem_rd    x0, a0, #12, #4, s1, swap    ; EtherType and the next two bytes
    immed     a1, #0
    lm_base   l0, a1
    lm_st     l0, #0, x0, #4               ; metadata: EtherType word
    lm_st     l0, #4, b0, #4               ; packet length
    lm_st     l0, #8, a1, #4
    lm_st     l0, #12, a1, #4
    immed     a2, #0xffff
    immed_w1  a2, #0xffff                  ; BPF_F_CURRENT_CPU
    immed     b2, #64                      ; bits 32..51 of the flags: packet bytes to append
    immed     a3, #0
    immed_w1  a3, #0x3000                  ; the metadata on the stack
    immed     b3, #16
    fwcall    perf_output a4, #0, a2, b2, a3, b3
drop:
    verdict   drop
`;

export function perfEventsImage(events: BpfMap, cores: readonly number[]): NicImage {
  return { stages: [{ name: "perf-events", program: assemble(PERF_EVENTS_SOURCE, "perf-events.uc"), cores }], maps: [{ map: events, unit: "emem0" }] };
}
