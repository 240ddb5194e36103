# expect: reject
# message: R2 min value is negative, either use unsigned or 'var &= const'
# why: a signed size that may be negative
r1 = r10
r1 += -16
r2 = *(u32 *)(r1 + 0)
r2 = (s8)r2
call 6
r0 = 0
exit
