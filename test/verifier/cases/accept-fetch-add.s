# expect: accept
# map: counts array key=4 value=8 entries=4
# why: an atomic fetch-add returns the old value in the source register
r1 = 1
*(u32 *)(r10 - 8) = r1
r2 = r10
r2 += -8
ld_pseudo r1, 5, 0
call 1
r1 = 1
r1 = atomic_fetch_add((u64 *)(r0 + 0), r1)
r0 = r1
r0 &= 3
exit
