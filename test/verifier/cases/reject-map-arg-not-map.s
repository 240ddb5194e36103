# expect: reject
# message: R1 type=fp expected=map_ptr
# why: the first argument of a lookup must be a map
r1 = r10
r2 = r10
r2 += -8
call 1
r0 = 0
exit
