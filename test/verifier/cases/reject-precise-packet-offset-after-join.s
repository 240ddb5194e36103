# expect: reject
# message: R7 offset is outside of the packet
# why: r6 is 0 on the path explored first and 9 on the other; the first adds it to a packet pointer, so r6 is precise at the join and the second path is explored, not pruned
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r4 > r3 goto drop
r5 = *(u8 *)(r2 + 0)
if r5 == 1 goto wide
r6 = 0
goto join
wide:
r6 = 9
join:
r7 = r2
r7 += r6
r0 = *(u8 *)(r7 + 0)
r0 = 2
exit
drop:
r0 = 1
exit
