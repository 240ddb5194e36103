# expect: reject
# message: invalid size of register spill
# why: a pointer must be spilled whole
*(u32 *)(r10 - 8) = r1
r0 = 0
exit
