# expect: reject
# message: write into map forbidden, value_size=4 off=0 size=4
# map: .rodata array key=4 value=4 entries=1 flags=128 frozen init=07000000
# why: a map marked BPF_F_RDONLY_PROG cannot be written by the program
ld_pseudo r1, 6, 0
r2 = 1
*(u32 *)(r1 + 0) = r2
r0 = 0
exit
