# expect: reject
# message: combined stack size of 2 calls is 528. Too large
# why: 512 bytes in the caller plus 16 (8 rounded up for the JIT) in the callee exceed the 512 bytes all frames share
r1 = 0
*(u64 *)(r10 - 512) = r1
call sub
r0 = 0
exit
sub:
r1 = 0
*(u64 *)(r10 - 8) = r1
r0 = 0
exit
