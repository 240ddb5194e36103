# expect: reject
# message: R6 invalid mem access 'scalar'
# map: events ringbuf key=0 value=0 entries=4096
# why: after bpf_ringbuf_submit the record belongs to the reader; copies of its pointer are dead
ld_pseudo r1, 5, 0
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
r6 = r0
r1 = r0
r2 = 0
call 132
r1 = 1
*(u64 *)(r6 + 0) = r1
out:
r0 = 2
exit
