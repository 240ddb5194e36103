# expect: reject
# message: expected prog array map for tail call
# map: counts hash key=4 value=4 entries=4
# why: bpf_tail_call jumps only through a program array
ld_pseudo r2, 5, 0
r3 = 0
call 12
r0 = 0
exit
