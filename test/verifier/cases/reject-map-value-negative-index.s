# expect: reject
# message: R0 min value is negative, either use unsigned index or do a if (index >=0) check.
# map: table hash key=4 value=64 entries=16
# why: a signed check bounds the index above but not below
r6 = r1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call 1
if r0 == 0 goto out
r1 = *(u32 *)(r6 + 12)
r1 = (s8)r1
if r1 s> 63 goto out
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 2
exit
