# expect: reject
# message: invalid bpf_context access off=12 size=4
# why: an immediate store into the (read-only) context
*(u32 *)(r1 + 12) = 0
r0 = 0
exit
