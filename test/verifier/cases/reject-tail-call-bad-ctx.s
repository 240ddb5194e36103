# expect: reject
# message: R1 type=scalar expected=ctx
# map: jumps prog_array key=4 value=4 entries=4
# why: bpf_tail_call's first argument must be the context
r1 = 2
ld_pseudo r2, 5, 0
r3 = 0
call 12
r0 = 0
exit
