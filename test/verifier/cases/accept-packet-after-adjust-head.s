# expect: accept
# why: after bpf_xdp_adjust_head the pointers are loaded and checked again
r6 = r1
r2 = -4
call 44
r2 = *(u32 *)(r6 + 0)
r3 = *(u32 *)(r6 + 4)
r4 = r2
r4 += 4
if r4 > r3 goto out
r1 = 0
*(u32 *)(r2 + 0) = r1
out:
r0 = 2
exit
