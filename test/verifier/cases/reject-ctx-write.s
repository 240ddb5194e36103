# expect: reject
# message: invalid bpf_context access off=0 size=4
# why: xdp_md is read-only to the program
r0 = 0
*(u32 *)(r1 + 0) = r0
exit
