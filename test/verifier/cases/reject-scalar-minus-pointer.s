# expect: reject
# message: R0 tried to subtract pointer from scalar
# why: scalar - pointer would be a pointer pointing nowhere known
r0 = 5
r0 -= r10
exit
