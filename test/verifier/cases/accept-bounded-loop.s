# expect: accept
# why: a loop counting to 10 is explored iteration by iteration until it leaves
r0 = 0
r1 = 0
loop:
r0 += r1
r1 += 1
if r1 < 10 goto loop
r0 &= 3
exit
