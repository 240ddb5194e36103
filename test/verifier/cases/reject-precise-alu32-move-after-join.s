# expect: reject
# message: R7 offset is outside of the packet
# why: the offset is copied by a 32-bit move after the join; precision follows the move back to r9 at the join (0 first, 9 second), so the second path is explored
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r4 > r3 goto drop
r5 = *(u8 *)(r2 + 0)
if r5 == 1 goto wide
r9 = 0
goto join
wide:
r9 = 9
join:
w6 = w9
r7 = r2
r7 += r6
r0 = *(u8 *)(r7 + 0)
r0 = 2
exit
drop:
r0 = 1
exit
