# expect: reject
# message: R2 is not a known constant'
# map: events ringbuf key=0 value=0 entries=4096
# why: the record size must be known when verifying
r2 = *(u32 *)(r1 + 16)
ld_pseudo r1, 5, 0
r3 = 0
call 131
r0 = 2
exit
