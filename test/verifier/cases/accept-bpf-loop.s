# expect: accept
# btf: func-info
# why: bpf_loop calls the callback at pc 11 (loaded with ld_pseudo kind 4, func) with the index and a pointer to a stack counter
r1 = 0
*(u64 *)(r10 - 8) = r1
r1 = 8
ld_pseudo r2, 4, 7
r3 = r10
r3 += -8
r4 = 0
call 181
r0 = 2
exit
r3 = *(u64 *)(r2 + 0)
r3 += r1
*(u64 *)(r2 + 0) = r3
r0 = 0
exit
