# expect: reject
# message: R1 bitwise operator &= on pointer prohibited
# why: masking a pointer is refused
r1 &= 255
r0 = 0
exit
