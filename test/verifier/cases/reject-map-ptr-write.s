# expect: reject
# message: only read from bpf_htab is supported
# map: counts hash key=4 value=8 entries=16
# why: a map handle may not be written through
ld_pseudo r1, 5, 0
r2 = 0
*(u64 *)(r1 + 0) = r2
r0 = 0
exit
