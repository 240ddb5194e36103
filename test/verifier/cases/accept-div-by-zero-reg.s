# expect: accept
# why: division by a register that is 0 is defined (the result is 0), so it is allowed
r0 = 5
r1 = 0
r0 /= r1
exit
