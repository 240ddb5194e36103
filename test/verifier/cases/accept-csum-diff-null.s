# expect: accept
# why: bpf_csum_diff accepts NULL with size 0 for the bytes removed
r1 = 0
r2 = 0
r3 = r10
r3 += -8
r4 = 0
*(u64 *)(r10 - 8) = r4
r4 = 8
r5 = 0
call 28
r0 &= 3
exit
