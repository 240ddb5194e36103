# expect: reject
# license: Proprietary
# message: cannot call GPL-restricted function from non-GPL compatible program
# why: bpf_trace_printk is gpl_only
r1 = r10
r1 += -16
r2 = 8
call 6
r0 = 0
exit
