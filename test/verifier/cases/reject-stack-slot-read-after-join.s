# expect: reject
# message: R7 pointer += pointer prohibited
# why: fp-8 holds a scalar on the path explored first and a packet pointer on the other; the load after the join reads the slot, so it is live there and compared, and the second path adds a pointer to a pointer
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r4 > r3 goto drop
r5 = *(u8 *)(r2 + 0)
if r5 == 1 goto other
r6 = 0
*(u64 *)(r10 - 8) = r6
r9 = r5
r9 += 1
r9 += 1
r9 += 1
goto join
other:
*(u64 *)(r10 - 8) = r2
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
