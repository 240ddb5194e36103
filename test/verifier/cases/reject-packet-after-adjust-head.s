# expect: reject
# message: R6 invalid mem access 'scalar'
# why: bpf_xdp_adjust_head moves the packet, so every packet pointer taken before it is dead
r6 = *(u32 *)(r1 + 0)
r7 = *(u32 *)(r1 + 4)
r8 = r6
r8 += 14
if r8 > r7 goto out
r2 = 4
call 44
r0 = *(u8 *)(r6 + 0)
exit
out:
r0 = 1
exit
