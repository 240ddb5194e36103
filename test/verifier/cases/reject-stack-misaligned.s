# expect: reject
# message: misaligned stack access off 0+0+-6 size 4
# why: stack accesses are always checked for natural alignment
r0 = 0
*(u32 *)(r10 - 6) = r0
exit
