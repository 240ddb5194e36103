# expect: reject
# message: invalid bpf_context access off=20 size=4
# why: egress_ifindex is readable only by devmap programs
r0 = *(u32 *)(r1 + 20)
exit
