# expect: reject
# message: R2 invalid mem access 'scalar'
# why: a number is not a pointer
r2 = 4096
r0 = *(u8 *)(r2 + 0)
exit
