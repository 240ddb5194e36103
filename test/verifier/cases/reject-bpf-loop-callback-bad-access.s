# expect: reject
# btf: func-info
# message: invalid write to stack R2 off=0 size=8
# why: the callback writes past its context: the pointer it gets is the caller's fp-8, and fp-8+8 is the top of the caller's frame
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
r3 = 1
*(u64 *)(r2 + 8) = r3
r0 = 0
exit
