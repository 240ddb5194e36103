# expect: accept
# why: with CAP_PERFMON the kernel does not check XDP return values, not even for pointers
r0 = r10
exit
