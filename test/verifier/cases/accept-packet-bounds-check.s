# expect: accept
# why: reads the last byte of the Ethernet header after proving data + 14 <= data_end
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r4 > r3 goto out
r0 = *(u8 *)(r2 + 13)
exit
out:
r0 = 1
exit
