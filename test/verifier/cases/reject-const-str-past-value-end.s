# expect: reject
# message: R3 min value is outside of the allowed memory range
# map: .rodata array key=4 value=16 entries=1 flags=128 frozen init=25640000000000000000000000000000
# why: a format pointer moved past the end of its 16-byte value (check_map_access with size value_size - off = -4)
ld_pseudo r3, 6, 0
r3 += 20
r1 = r10
r1 += -48
r2 = 32
r4 = 0
r5 = 0
call 165
r0 = 2
exit
