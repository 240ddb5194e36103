# expect: reject
# message: helper access to the packet is not allowed
# map: events ringbuf key=0 value=0 entries=4096
# why: bpf_ringbuf_output may not read the packet directly
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r4 > r3 goto out
ld_pseudo r1, 5, 0
r3 = 8
r4 = 0
call 130
out:
r0 = 2
exit
