# expect: reject
# message: R7 offset is outside of the packet
# why: the offset reaches the join only in a stack slot (0 first, 9 second); the fill that feeds the pointer makes the slot precise at the join, so the second path is explored
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r4 > r3 goto drop
r5 = *(u8 *)(r2 + 0)
if r5 == 1 goto wide
r6 = 0
*(u64 *)(r10 - 8) = r6
goto join
wide:
r6 = 9
*(u64 *)(r10 - 8) = r6
join:
r8 = *(u64 *)(r10 - 8)
r7 = r2
r7 += r8
r0 = *(u8 *)(r7 + 0)
r0 = 2
exit
drop:
r0 = 1
exit
