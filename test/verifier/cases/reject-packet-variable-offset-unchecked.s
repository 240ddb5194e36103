# expect: reject
# message: R2 offset is outside of the packet
# why: after adding a variable offset nothing is known about the new pointer until it is checked again
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 16
if r4 > r3 goto out
r5 = *(u8 *)(r2 + 0)
r5 &= 15
r2 += r5
r0 = *(u8 *)(r2 + 0)
exit
out:
r0 = 1
exit
