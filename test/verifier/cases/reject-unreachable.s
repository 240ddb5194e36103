# expect: reject
# message: unreachable insn 2
# why: nothing jumps to the second r0 = 1
r0 = 0
exit
r0 = 1
exit
