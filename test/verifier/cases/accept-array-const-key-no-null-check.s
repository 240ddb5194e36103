# expect: accept
# map: config array key=4 value=8 entries=4
# why: an array lookup whose key is a spilled constant in range cannot fail, so no NULL check is needed (Linux 6.13+)
r1 = 2
*(u32 *)(r10 - 8) = r1
r2 = r10
r2 += -8
ld_pseudo r1, 5, 0
call 1
r0 = *(u64 *)(r0 + 0)
r0 &= 3
exit
