// Netronome's layer-4 load balancer demo (github.com/Netronome/bpf-samples,
// l4lb/l4lb_xdp.c) written by hand in microcode, for the validation against
// the throughput its README reports in offload mode. Same path as the C
// program: parse Ethernet/IPv4/TCP|UDP, hash source address and ports with
// jhash_2words (the same mixing rounds), look the destination up in the
// `servers` hash map (falling back to key 0), grow the head by an IPv4 header,
// write the new Ethernet header and the outer IPv4 header with its checksum,
// count packets and bytes into the map value atomically, and send it back out.
import type { BpfMap } from "../../src/maps/types.ts";
import { assemble } from "../isa/asm.ts";
import type { NicImage } from "../image.ts";

// Map #0: servers, BPF_MAP_TYPE_HASH, key u32, value struct dest_info
// { u32 saddr; u32 daddr; u64 bytes; u64 pkts; u8 dmac[6]; } = 30 bytes, 32 with padding.
export const L4LB_MAX_SERVERS = 512;
export const L4LB_VALUE_BYTES = 32;
export const DEST_SADDR = 0;
export const DEST_DADDR = 4;
export const DEST_BYTES = 8;
export const DEST_PKTS = 16;
export const DEST_DMAC = 24;

export const L4LB_SOURCE = `
; l4lb: offloaded layer-4 load balancer (IP-in-IP encapsulation), after Netronome bpf-samples l4lb_xdp.c
    csr_rd    a0, data
    csr_rd    b0, pkt_len
    sub       --, b0, #14
    blt       drop
    mem_rd    x0, a0, #12, #2, s1, swap   ; EtherType
    immed     a1, #0x0800
    sub       --, x0, a1
    bne       pass                        ; not IPv4
    sub       --, b0, #34
    blt       drop
    mem_rd    x1, a0, #14, #20, s2, swap  ; the IPv4 header: x1..x5
    byte_ext  a2, x1, #3                  ; version/ihl
    and       a2, a2, #15
    sub       --, a2, #5
    bne       drop                        ; options present
    immed     b2, #0x3fff
    and       --, x2, b2
    bne       drop                        ; fragment
    byte_ext  a3, x3, #2                  ; protocol
    immed     b3, #0xffff
    and       a4, x1, b3                  ; tot_len
    sub       --, a3, #6
    beq       tcp
    sub       --, a3, #17
    bne       pass                        ; neither TCP nor UDP
    sub       --, b0, #42
    blt       drop
    br        ports
tcp:
    sub       --, b0, #54
    blt       drop
ports:
    mem_rd    x6, a0, #34, #4, s3, swap   ; source and destination port
    ; jhash_2words(saddr, ports, 512): a = saddr + K, b = ports + K, c = K, K = 0xdeadbeef + 8 + 512
    immed     a6, #0xc0f7
    immed_w1  a6, #0xdead
    mov       b8, a6
    add       a5, x4, b8
    add       b5, x6, a6
    ; __jhash_final(a, b, c)
    xor       a6, a6, b5
    rol       b6, b5, #14
    sub       a6, a6, b6
    mov       b7, a6
    xor       a5, a5, b7
    rol       b6, a6, #11
    sub       a5, a5, b6
    xor       b5, b5, a5
    rol       a7, a5, #25
    sub       b5, b5, a7
    xor       a6, a6, b5
    rol       b6, b5, #16
    sub       a6, a6, b6
    mov       b7, a6
    xor       a5, a5, b7
    rol       b6, a6, #4
    sub       a5, a5, b6
    xor       b5, b5, a5
    rol       a7, a5, #14
    sub       b5, b5, a7
    xor       a6, a6, b5
    rol       b6, b5, #24
    sub       a6, a6, b6
    immed     b6, #511
    and       a6, a6, b6                  ; key = hash % MAX_SERVERS
    ; the key as a little-endian u32 on the stack
    ld_field  b9, #5, a6, #24
    ld_field  b9, #10, a6, #8
    immed     a8, #0
    lm_base   l0, a8
    lm_st     l0, #0, b9, #4
    immed_w1  a8, #0x3000                 ; 0x30000000: the stack
    fwcall    map_lookup a9, #0, a8
    sub       --, a9, #0
    bne       found
    immed     b9, #0                      ; no such server: fall back to key 0
    lm_st     l0, #0, b9, #4
    fwcall    map_lookup a9, #0, a8
    sub       --, a9, #0
    beq       drop
found:
    immed     a10, #0
    sub       a10, a10, #20
    fwcall    adjust_head a11, a10        ; room for the outer IPv4 header
    sub       --, a11, #0
    bne       drop
    csr_rd    a0, data
    csr_rd    b0, pkt_len
    mem_rd    x7, a9, #0, #8, s4          ; tnl->saddr, tnl->daddr
    mem_rd    x9, a9, #24, #8, s5         ; tnl->dmac
    mem_rd    x11, a0, #20, #8, s6        ; the old Ethernet destination
    ctx_arb   s4, s5, s6
    ; new Ethernet header: dmac, old destination as source, EtherType IPv4
    mov       x0, x9
    immed     b10, #0xffff
    immed_w1  b10, #0x0000
    shr       b11, x11, #16
    andn      a13, x10, b10
    or        x1, a13, b11
    shl       a12, x11, #16
    shr       b12, x12, #16
    or        x2, a12, b12
    immed     x3, #0x4500
    immed_w1  x3, #0x0800
    ; outer IPv4 header: tot_len = inner tot_len + 20, id 0, frag 0, ttl 8, protocol IPIP (4)
    add       a14, a4, #20
    shl       x4, a14, #16
    immed     x5, #0x0804
    ; checksum over the ten 16-bit words (id, frag_off and check are 0)
    immed     b13, #0x4500
    add       a15, a14, b13
    add       a15, a15, #4
    immed     b13, #0x0800
    add       a15, a15, b13
    shr       b14, x7, #16
    add       a15, a15, b14
    and       b14, x7, b10
    add       a15, a15, b14
    shr       b14, x8, #16
    add       a15, a15, b14
    and       b14, x8, b10
    add       a15, a15, b14
    shr       b15, a15, #16
    and       a15, a15, b10
    add       a15, a15, b15
    not       a15, a15
    and       a15, a15, b10               ; ~((csum & 0xffff) + (csum >> 16)), 16 bits
    shl       a15, a15, #16
    shr       b15, x7, #16
    or        x6, a15, b15                ; check | saddr[0..1]
    shl       a15, x7, #16
    shr       b15, x8, #16
    or        x7, a15, b15                ; saddr[2..3] | daddr[0..1]
    and       a15, x8, b10
    mem_wr    x0, a0, #0, #32, s7, swap   ; bytes 0..31 of the new headers
    mov       x8, a15
    mem_wr    x8, a0, #32, #2, s8, swap   ; bytes 32..33: daddr[2..3]
    ; counters: tnl->pkts += 1, tnl->bytes += packet size
    immed     x9, #1
    immed     x10, #0
    mem_add.le x9, a9, #16, #8, s9
    mov       x11, b0
    immed     x12, #0
    mem_add.le x11, a9, #8, #8, s10
    ctx_arb   s9, s10
    verdict   tx
pass:
    verdict   pass
drop:
    verdict   drop
`;

export function l4lbImage(servers: BpfMap, cores: readonly number[], unit = "emem0"): NicImage {
  return { stages: [{ name: "l4lb", program: assemble(L4LB_SOURCE, "l4lb.uc"), cores }], maps: [{ map: servers, unit }] };
}

// Fills every server slot (as the demo's l4lb_map.py spreads the destinations over MAX_SERVERS
// keys): key k -> saddr 10.0.0.1, daddr 10.0.(k % destinations).2, dmac 02:00:00:00:00:(k % destinations).
export function fillServers(servers: BpfMap, destinations: number): void {
  for (let k = 0; k < L4LB_MAX_SERVERS; k++) {
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, k, true);
    const value = new Uint8Array(L4LB_VALUE_BYTES);
    value.set([10, 0, 0, 1], DEST_SADDR);
    value.set([10, 0, k % destinations, 2], DEST_DADDR);
    value.set([2, 0, 0, 0, 0, k % destinations], DEST_DMAC);
    servers.update(key, value, 0, 0);
  }
}

// An Ethernet/IPv4/UDP frame of `length` bytes (without FCS) from flow `flow`.
export function l4lbFrame(length: number, flow: number): Uint8Array {
  const p = new Uint8Array(length);
  p.set([0x00, 0x15, 0x4d, 0x13, 0x08, 0x80, 0x24, 0x8a, 0x07, 0x3b, 0x00, 0x46, 0x08, 0x00], 0);
  const ipLength = length - 14;
  p.set([0x45, 0, ipLength >> 8, ipLength & 0xff, 0, 0, 0, 0, 64, 17, 0, 0], 14);
  p.set([10, 1, (flow >> 8) & 0xff, flow & 0xff, 10, 0, 0, 100], 26);
  const sport = 1024 + (flow % 50000);
  p.set([sport >> 8, sport & 0xff, 0x04, 0xd2, (ipLength - 20) >> 8, (ipLength - 20) & 0xff, 0, 0], 34);
  return p;
}
