# expect: reject
# message: R0 pointer arithmetic with *= operator prohibited
# why: only + and - move a pointer
r0 = r10
r0 *= 3
exit
