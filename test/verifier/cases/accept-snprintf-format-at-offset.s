# expect: accept
# map: .rodata array key=4 value=24 entries=1 flags=128 frozen init=7800256c6c64202570493400000000000000000000000000
# why: a format at a constant offset (2) into the value; two conversions and three data elements (fewer conversions than elements are fine)
ld_pseudo r3, 6, 8589934592
r1 = 7
*(u64 *)(r10 - 24) = r1
*(u64 *)(r10 - 16) = r1
r1 = -9
*(u64 *)(r10 - 8) = r1
r4 = r10
r4 += -24
r5 = 24
r1 = r10
r1 += -48
r2 = 32
call 165
r0 = 2
exit
