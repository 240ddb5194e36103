# expect: accept
# flags: strict-alignment
# why: with NET_IP_ALIGN (2) the IPv4 source address at offset 26 is 4-byte aligned
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 34
if r4 > r3 goto out
r0 = *(u32 *)(r2 + 26)
r0 &= 3
exit
out:
r0 = 1
exit
