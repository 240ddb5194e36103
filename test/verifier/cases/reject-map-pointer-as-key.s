# expect: reject
# message: R2 type=map_ptr expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_
# map: counts hash key=4 value=8 entries=16
# why: the key argument must point to memory
ld_pseudo r1, 5, 0
r2 = r1
call 1
r0 = 0
exit
