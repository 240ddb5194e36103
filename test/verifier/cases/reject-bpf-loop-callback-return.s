# expect: reject
# btf: func-info
# message: At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]
# why: a bpf_loop callback returns 0 (continue) or 1 (stop)
r1 = 8
ld_pseudo r2, 4, 6
r3 = 0
r4 = 0
call 181
r0 = 2
exit
r0 = 2
exit
