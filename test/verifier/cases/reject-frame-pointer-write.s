# expect: reject
# message: frame pointer is read only
# why: r10 cannot be assigned
r10 = 0
r0 = 0
exit
