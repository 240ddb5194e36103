# expect: reject
# message: math between pkt pointer and register with unbounded min value is not allowed
# why: adding an arbitrary 64-bit value to a packet pointer is refused
r2 = *(u32 *)(r1 + 0)
r3 = *(u64 *)(r10 - 8)
r2 += r3
r0 = 0
exit
