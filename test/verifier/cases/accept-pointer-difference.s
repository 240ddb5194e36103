# expect: accept
# why: data_end - data is a scalar (the packet length) for a loader that may see addresses
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r3 -= r2
r0 = r3
r0 &= 1
exit
