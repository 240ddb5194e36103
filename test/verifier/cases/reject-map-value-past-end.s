# expect: reject
# message: R0 min value is outside of the allowed memory range
# map: counts hash key=4 value=8 entries=16
# why: an 8-byte value read at offset 8 ends 4 bytes past the value
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call 1
if r0 == 0 goto out
r0 = *(u32 *)(r0 + 8)
out:
r0 = 2
exit
