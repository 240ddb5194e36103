# expect: accept
# btf: func-info
# why: a bpf_loop callback (pc 11) stores the constant 7 into its caller's stack (through the ctx pointer r2) on every call, so the second call's states equal the first's; a state of another call of the callback is no infinite loop (the kernel's callback_unroll_depth), and four calls are explored (r1 = 4; realworld3 dns_guard.o, rule_filter.o filter_loop)
# The moves between the branches only make the verifier checkpoint inside the callback, as in the C programs.
r1 = 0
*(u64 *)(r10 - 8) = r1
r1 = 4
ld_pseudo r2, 4, 7
r3 = r10
r3 += -8
r4 = 0
call 181
r0 = 2
exit
r0 = 0
r3 = 0
r4 = 1
r5 = 2
r6 = 3
r3 = 4
r4 = 5
r5 = 6
r6 = 7
r3 = 8
r4 = 9
if r1 > 100 goto +1
r0 = 0
if r1 > 101 goto +1
r0 = 0
r3 = 7
*(u64 *)(r2 + 0) = r3
r3 = 0
r4 = 1
r5 = 2
r6 = 3
r3 = 4
r4 = 5
r5 = 6
r6 = 7
r3 = 8
r4 = 9
if r1 > 200 goto +1
r0 = 0
if r1 > 201 goto +1
r0 = 0
r3 = 0
r4 = 1
r5 = 2
r6 = 3
r3 = 4
r4 = 5
r5 = 6
r6 = 7
r3 = 8
r4 = 9
if r1 > 300 goto +1
r0 = 0
r0 = 0
exit
