# expect: reject
# message: R1 pointer += pointer prohibited
# why: adding two pointers means nothing
r2 = r10
r1 += r2
r0 = 0
exit
