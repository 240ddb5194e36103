# expect: reject
# message: jump out of range from insn 1 to 5
# why: the jump lands past the end of the program
r0 = 0
goto +3
exit
