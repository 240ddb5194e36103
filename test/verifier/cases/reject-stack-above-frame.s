# expect: reject
# message: invalid read from stack R10 off=0 size=8
# why: r10 points one past the frame: offset 0 is outside
r0 = *(u64 *)(r10 + 0)
exit
