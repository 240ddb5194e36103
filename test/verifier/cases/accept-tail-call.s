# expect: accept
# map: jumps prog_array key=4 value=4 entries=4
# why: a tail call falls through when the slot is empty; r0 must be set again afterwards
ld_pseudo r2, 5, 0
r3 = 1
call 12
r0 = 2
exit
