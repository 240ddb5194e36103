# expect: reject
# message: R0 unbounded memory access, make sure to bounds check any such access
# map: table hash key=4 value=64 entries=16
# why: testing one bit does not bound the rest of the value
r6 = r1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call 1
if r0 == 0 goto out
r1 = *(u32 *)(r6 + 12)
if r1 & 64 goto out
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 2
exit
