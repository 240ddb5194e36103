# expect: reject
# message: math between map_value pointer and 536870912 is not allowed
# map: counts array key=4 value=8 entries=4
# why: constant offsets of 2^29 and more are refused
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call 1
r0 += 536870912
r0 = 2
exit
