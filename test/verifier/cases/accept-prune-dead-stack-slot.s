# expect: accept
# why: fp-8 holds 0 on one path and a packet pointer on the other, but after the join it is written before it is read: the slot is dead there, and either way the program is safe
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
r6 = 4
*(u64 *)(r10 - 8) = r6
r8 = *(u64 *)(r10 - 8)
r7 = r2
r7 += r8
r0 = *(u8 *)(r7 + 0)
r0 = 2
exit
drop:
r0 = 1
exit
