# expect: reject
# message: R0 invalid mem access 'map_value_or_null'
# map: config array key=4 value=8 entries=4
# why: key 4 is past max_entries, so the lookup may fail and needs a NULL check
r1 = 4
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call 1
r0 = *(u64 *)(r0 + 0)
exit
