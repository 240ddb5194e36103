# expect: reject
# message: Invalid format string
# map: .rodata array key=4 value=16 entries=1 flags=128 frozen init=25686400000000000000000000000000
# why: bpf_bprintf_prepare has no h length modifier
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
