# expect: reject
# message: cannot spill pointers to stack into stack frame of the caller
# why: the callee's frame pointer would outlive the callee if stored in its caller's stack
r1 = r10
r1 += -8
call store
r0 = 0
exit
store:
*(u64 *)(r1 + 0) = r10
r0 = 0
exit
