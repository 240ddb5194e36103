# expect: accept
# map: table hash key=4 value=64 entries=16
# why: the same index masked to 0..63 stays inside the 64-byte value
r6 = r1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call 1
if r0 == 0 goto out
r1 = *(u32 *)(r6 + 12)
r1 &= 63
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 2
exit
