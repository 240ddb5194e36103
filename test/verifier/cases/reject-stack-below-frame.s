# expect: reject
# message: invalid write to stack R10 off=-520 size=8
# why: the frame has 512 bytes; -520 is below it
r0 = 0
*(u64 *)(r10 - 520) = r0
exit
