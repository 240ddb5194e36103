# expect: accept
# map: events ringbuf key=0 value=0 entries=4096
# why: reserve a record, fill it, submit it on the non-NULL path
ld_pseudo r1, 5, 0
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
r1 = 7
*(u64 *)(r0 + 0) = r1
r1 = r0
r2 = 0
call 132
out:
r0 = 2
exit
