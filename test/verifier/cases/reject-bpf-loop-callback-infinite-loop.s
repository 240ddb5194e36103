# expect: reject
# message: infinite loop detected at insn 12
# btf: func-info
# why: within one call of a bpf_loop callback the same state comes back at pc 12 (r1 is always 5): a loop that cannot end, whichever call of the callback it is in
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
r1 = 5
*(u64 *)(r2 + 0) = r1
if r1 != 0 goto -2
r0 = 0
exit
