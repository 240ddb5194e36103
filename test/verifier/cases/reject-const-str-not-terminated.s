# expect: reject
# message: string is not zero-terminated
# map: .rodata array key=4 value=8 entries=1 flags=128 frozen init=2564202564202564
# why: the format fills the value without a NUL
ld_pseudo r3, 6, 0
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
