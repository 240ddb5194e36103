# expect: reject
# message: cannot pass map_type 1 into func bpf_redirect_map#51
# map: counts hash key=4 value=4 entries=4
# why: bpf_redirect_map needs a devmap, cpumap or xskmap
ld_pseudo r1, 5, 0
r2 = 0
r3 = 2
call 51
exit
