# expect: reject
# flags: strict-alignment
# message: misaligned packet access off 2+0+0+1 size 4
# why: with BPF_F_STRICT_ALIGNMENT a 4-byte packet load must be 4-byte aligned, counting NET_IP_ALIGN (2)
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r4 > r3 goto out
r0 = *(u32 *)(r2 + 1)
exit
out:
r0 = 1
exit
