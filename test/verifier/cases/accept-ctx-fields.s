# expect: accept
# why: ingress_ifindex and rx_queue_index are ordinary 32-bit reads
r2 = *(u32 *)(r1 + 12)
r3 = *(u32 *)(r1 + 16)
r0 = r2
r0 += r3
r0 &= 3
exit
