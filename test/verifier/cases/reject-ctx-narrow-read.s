# expect: reject
# message: invalid bpf_context access off=0 size=2
# why: xdp_md fields are read with 4-byte loads only
r0 = *(u16 *)(r1 + 0)
exit
