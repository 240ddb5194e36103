# expect: reject
# message: div by zero
# why: a division by the constant 0 is refused outright
r0 = 5
r0 /= 0
exit
