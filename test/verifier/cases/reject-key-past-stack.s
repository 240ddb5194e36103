# expect: reject
# message: invalid read from stack R2 off=-2 size=4
# map: counts hash key=4 value=8 entries=16
# why: a 4-byte key at fp-2 would extend above the frame
r2 = r10
r2 += -2
ld_pseudo r1, 5, 0
call 1
r0 = 0
exit
