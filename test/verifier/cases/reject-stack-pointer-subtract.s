# expect: reject
# message: R1 subtraction from stack pointer prohibited
# why: the frame pointer may move down only by adding a negative constant
r1 = r10
r2 = 8
r1 -= r2
r0 = 0
exit
