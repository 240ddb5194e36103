# expect: reject
# message: infinite loop detected at insn 1
# why: the loop body changes nothing, so the state repeats exactly
r0 = 0
loop:
if r0 == 0 goto loop
exit
