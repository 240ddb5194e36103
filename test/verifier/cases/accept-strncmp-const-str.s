# expect: accept
# map: .rodata array key=4 value=8 entries=1 flags=128 frozen init=4745540000000000
# why: bpf_strncmp's second string is a constant string in a frozen .rodata array
r1 = 0
*(u64 *)(r10 - 8) = r1
r1 = r10
r1 += -8
r2 = 8
ld_pseudo r3, 6, 0
call 182
exit
