# expect: reject
# message: R0 min value is outside of the allowed memory range
# map: events ringbuf key=0 value=0 entries=4096
# why: an 8-byte record written at offset 8
ld_pseudo r1, 5, 0
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
r1 = 7
*(u32 *)(r0 + 8) = r1
r1 = r0
r2 = 0
call 133
out:
r0 = 2
exit
