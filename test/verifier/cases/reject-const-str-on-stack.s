# expect: reject
# message: R3 type=fp expected=map_value
# why: the format must lie in a map value, not on the stack
r3 = r10
r3 += -8
r1 = 7
*(u64 *)(r10 - 16) = r1
r1 = -9
*(u64 *)(r10 - 8) = r1
r4 = r10
r4 += -16
r5 = 16
r1 = r10
r1 += -48
r2 = 32
call 165
r0 = 2
exit
