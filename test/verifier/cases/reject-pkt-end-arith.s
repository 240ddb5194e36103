# expect: reject
# message: R3 pointer arithmetic on pkt_end prohibited
# why: data_end may only be compared with
r3 = *(u32 *)(r1 + 4)
r3 += -1
r0 = 0
exit
