# expect: accept
# why: an offset read from the packet, masked to 0..15, then checked against data_end with the access size
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 1
if r4 > r3 goto out
r5 = *(u8 *)(r2 + 0)
r5 &= 15
r2 += r5
r4 = r2
r4 += 2
if r4 > r3 goto out
r0 = *(u16 *)(r2 + 0)
r0 &= 1
exit
out:
r0 = 1
exit
