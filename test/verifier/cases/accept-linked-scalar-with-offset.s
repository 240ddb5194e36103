# expect: accept
# map: table hash key=4 value=64 entries=16
# why: a bound proved on `copy + 4` applies, shifted by 4, to the original (a link with a constant)
r6 = r1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call 1
if r0 == 0 goto out
r1 = *(u32 *)(r6 + 16)
r2 = r1
r2 += 4
if r2 > 63 goto out
r0 += r1
r0 = *(u8 *)(r0 + 4)
out:
r0 = 2
exit
