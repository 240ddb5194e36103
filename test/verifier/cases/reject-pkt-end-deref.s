# expect: reject
# message: R3 invalid mem access 'pkt_end'
# why: data_end marks the end and may not be read through
r3 = *(u32 *)(r1 + 4)
r0 = *(u8 *)(r3 + 0)
exit
