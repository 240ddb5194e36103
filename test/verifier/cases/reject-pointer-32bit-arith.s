# expect: reject
# message: R1 32-bit pointer arithmetic prohibited
# why: a 32-bit add would truncate the pointer
w1 += 8
r0 = 0
exit
