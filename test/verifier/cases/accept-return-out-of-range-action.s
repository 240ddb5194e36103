# expect: accept
# why: check_return_code has no range for XDP; an unknown action is treated as XDP_ABORTED at run time
r0 = 77
exit
