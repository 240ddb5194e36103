# expect: reject
# message: invalid size of register fill
# why: half a spilled pointer cannot be read back
*(u64 *)(r10 - 8) = r1
r0 = *(u32 *)(r10 - 8)
exit
