# expect: reject
# message: cannot return stack pointer to the caller
# why: the callee's frame disappears when it returns
call sub
r0 = 0
exit
sub:
r0 = r10
r0 += -8
exit
