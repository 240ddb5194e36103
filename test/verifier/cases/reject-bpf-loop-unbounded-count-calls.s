# expect: reject
# message: invalid write to stack R4 off=0 size=1
# btf: func-info
# why: bpf_loop with a random count may call the callback any number of times: the call counter in the caller's stack (fp-8) grows until the callback's write at fp-16 + 4 * count reaches fp+0 on the 4th call
r1 = 0
*(u64 *)(r10 - 8) = r1
call 7
r1 = r0
ld_pseudo r2, 4, 7
r3 = r10
r3 += -8
r4 = 0
call 181
r0 = 2
exit
r3 = *(u64 *)(r2 + 0)
r3 += 1
*(u64 *)(r2 + 0) = r3
r3 <<= 2
r4 = r10
r4 += -16
r4 += r3
r5 = 0
*(u8 *)(r4 + 0) = r5
r0 = 0
exit
