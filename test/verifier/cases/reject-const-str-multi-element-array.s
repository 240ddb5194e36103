# expect: reject
# message: direct value access on string failed
# map: fmts array key=4 value=16 entries=2 flags=128 frozen
# why: array_map_direct_value_addr gives an address only for a one-element array (a looked-up value of a two-element one)
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call 1
r3 = r0
r1 = r10
r1 += -48
r2 = 32
r4 = 0
r5 = 0
call 165
r0 = 2
exit
