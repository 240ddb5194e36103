# expect: reject
# message: dereference of modified ctx ptr R1 off=4 disallowed
# why: the context pointer must be used unmodified, with the field in the load's offset
r1 += 4
r0 = *(u32 *)(r1 + 0)
exit
