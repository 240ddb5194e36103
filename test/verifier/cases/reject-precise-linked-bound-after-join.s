# expect: reject
# map: values array key=4 value=8 entries=4
# message: R0 max value is outside of the allowed memory range
# why: on the first path r7 is a copy of r6 and the check of r6 bounds it; on the second r7 is another packet byte, in the same range but unrelated: the link makes r6 and r7 precise with their ids at the join, so the second path is explored and its unchecked map value offset is caught
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 1
if r4 > r3 goto drop
r6 = *(u8 *)(r2 + 0)
r9 = r2
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call 1
if r0 == 0 goto drop
if r6 == 1 goto other
r7 = r6
r8 = r6
r8 += 1
r8 += 1
r8 += 1
r8 += 1
r8 += 1
r8 += 1
r8 += 1
goto join
other:
r7 = *(u8 *)(r9 + 0)
join:
if r6 > 7 goto drop
r0 += r7
r0 = *(u8 *)(r0 + 0)
r0 = 2
exit
drop:
r0 = 1
exit
