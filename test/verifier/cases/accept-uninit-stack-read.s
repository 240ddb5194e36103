# expect: accept
# why: a loader with CAP_PERFMON may read stack bytes never written (they are unknown scalars)
r0 = *(u64 *)(r10 - 8)
r0 &= 1
exit
