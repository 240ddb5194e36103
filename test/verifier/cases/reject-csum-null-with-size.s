# expect: reject
# message: R3 type=scalar expected=fp
# why: NULL may stand for a memory argument only when its size is zero (found by the generated-program test)
r1 = 0
r2 = 0
r3 = 0
r4 = 8
r5 = 0
call 28
r0 = 0
exit
