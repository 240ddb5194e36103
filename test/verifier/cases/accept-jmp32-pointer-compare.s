# expect: accept
# why: a loader with CAP_PERFMON may compare pointers, also in 32 bits; nothing is learned from it
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
if w2 > w3 goto +1
r0 = 1
r0 = 2
exit
