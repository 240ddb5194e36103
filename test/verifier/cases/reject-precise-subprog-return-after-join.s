# expect: reject
# message: R7 offset is outside of the packet
# why: a subprogram returns its argument, which the caller adds to a packet pointer: precision goes back through the return and the call to r1 at the join (0 first, 9 second), so the second path is explored
r8 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r8
r4 += 8
if r4 > r3 goto drop
r5 = *(u8 *)(r8 + 0)
if r5 == 1 goto wide
r1 = 0
goto join
wide:
r1 = 9
join:
call ident
r7 = r8
r7 += r0
r0 = *(u8 *)(r7 + 0)
r0 = 2
exit
drop:
r0 = 1
exit
ident:
r0 = r1
exit
