# expect: accept
# map: ports devmap key=4 value=4 entries=8
# why: bpf_redirect_map with a devmap
ld_pseudo r1, 5, 0
r2 = 0
r3 = 2
call 51
exit
