# expect: accept
# map: counts hash key=4 value=8 entries=16
# why: the classic counter: look up, test for NULL, add one atomically
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call 1
if r0 == 0 goto out
r1 = 1
lock *(u64 *)(r0 + 0) += r1
out:
r0 = 2
exit
