# expect: reject
# message: R2 invalid zero-sized read: u64=[0,0]
# why: bpf_trace_printk needs at least one byte of format
r1 = r10
r1 += -16
r2 = 0
call 6
r0 = 0
exit
