# expect: reject
# message: R2 unbounded memory access, use 'var &= const' or 'if (var < const)'
# why: a size read from the context has no useful upper bound
r2 = *(u32 *)(r1 + 12)
r2 += 1
r1 = r10
r1 += -16
call 6
r0 = 0
exit
