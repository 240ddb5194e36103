# expect: reject
# message: last insn is not an exit or jmp
# why: control would fall off the end
r0 = 0
exit
r0 = 1
