# expect: reject
# message: cannot pass map_type 3 into func bpf_map_lookup_elem#1
# map: jumps prog_array key=4 value=4 entries=4
# why: a program array holds programs, not values a program may read
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call 1
r0 = 0
exit
