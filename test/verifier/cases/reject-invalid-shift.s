# expect: reject
# message: invalid shift 64
# why: a 64-bit shift by 64 is undefined
r0 = 1
r0 <<= 64
exit
