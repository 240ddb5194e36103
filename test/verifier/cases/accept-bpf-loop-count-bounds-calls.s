# expect: accept
# btf: func-info
# why: bpf_loop(8, ...) calls the callback at most 8 times: the callback counts its calls in the caller's stack (fp-8) and writes its own stack at fp-64 + count, so count <= 8 keeps the write inside the frame; the kernel explores 8 calls (callback_depth) and stops
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
r3 += 1
*(u64 *)(r2 + 0) = r3
r4 = r10
r4 += -64
r4 += r3
r5 = 0
*(u8 *)(r4 + 0) = r5
r0 = 0
exit
