# expect: reject
# message: R0 !read_ok
# why: the callee returns without setting r0 and the caller uses it
call sub
exit
sub:
r1 = 1
exit
