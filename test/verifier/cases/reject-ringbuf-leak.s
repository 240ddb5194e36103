# expect: reject
# message: BPF_EXIT instruction in main prog would lead to reference leak
# map: events ringbuf key=0 value=0 entries=4096
# why: a reserved record must be submitted or discarded before exit
ld_pseudo r1, 5, 0
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
r1 = 7
*(u64 *)(r0 + 0) = r1
out:
r0 = 2
exit
