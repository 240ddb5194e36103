# expect: reject
# message: tail_call is not allowed in subprogs without BTF
# map: jumps prog_array key=4 value=4 entries=4
# why: without BTF func info a subprogram may not tail-call
call sub
r0 = 2
exit
sub:
ld_pseudo r2, 5, 0
r3 = 0
call 12
r0 = 1
exit
