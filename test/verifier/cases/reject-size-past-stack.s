# expect: reject
# message: invalid read from stack R1 off=-16 size=32
# why: 32 bytes starting at fp-16 run past the top of the frame
r1 = r10
r1 += -16
r2 = 32
call 6
r0 = 0
exit
