# expect: accept
# why: the smallest program: r0 = XDP_PASS; exit
r0 = 2
exit
