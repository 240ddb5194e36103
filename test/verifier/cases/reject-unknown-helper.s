# expect: reject
# message: invalid func unknown#999
# why: there is no helper 999
call 999
r0 = 0
exit
