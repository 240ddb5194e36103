# expect: accept
# why: a packet pointer spilled and filled keeps its proven range
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 4
if r4 > r3 goto out
*(u64 *)(r10 - 16) = r2
r5 = *(u64 *)(r10 - 16)
r0 = *(u32 *)(r5 + 0)
r0 &= 3
exit
out:
r0 = 1
exit
