# expect: reject
# message: R2 offset is outside of the packet
# why: a packet load with no comparison against data_end at all
r2 = *(u32 *)(r1 + 0)
r0 = *(u8 *)(r2 + 0)
exit
