# expect: accept
# why: on the side where data + 14 > data_end, comparing the same pointer again cannot succeed, so the bad read is dead (BEYOND_PKT_END)
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r4 > r3 goto out
r0 = *(u8 *)(r2 + 0)
exit
out:
if r4 <= r3 goto bad
r0 = 1
exit
bad:
r0 = *(u8 *)(r2 + 20)
exit
