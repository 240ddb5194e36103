# expect: reject
# message: invalid func unknown#212
# why: 212 is __BPF_FUNC_MAX_ID in Linux 6.18, one past the last helper
call 212
r0 = 0
exit
