# expect: accept
# why: r1 is known to be 1, so the branch with the bad load is never taken
r1 = 1
if r1 == 0 goto bad
r0 = 2
exit
bad:
r0 = *(u8 *)(r1 + 0)
exit
