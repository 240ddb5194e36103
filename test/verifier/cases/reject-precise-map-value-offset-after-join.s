# expect: reject
# map: values array key=4 value=8 entries=4
# message: R0 min value is outside of the allowed memory range
# why: an offset into a map value that is 0 on the first path to the join and 8 on the other is precise there, so the second path is explored and reads past value_size
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 1
if r4 > r3 goto drop
r6 = *(u8 *)(r2 + 0)
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call 1
if r0 == 0 goto drop
if r6 == 1 goto wide
r7 = 0
r8 = r6
r8 += 1
r8 += 1
r8 += 1
r8 += 1
r8 += 1
r8 += 1
r8 += 1
goto join
wide:
r7 = 8
join:
r0 += r7
r0 = *(u8 *)(r0 + 0)
r0 = 2
exit
drop:
r0 = 1
exit
