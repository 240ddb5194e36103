# expect: accept
# why: data_end >= data + 8 on the taken side proves 8 bytes
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r3 >= r4 goto ok
r0 = 1
exit
ok:
r0 = *(u64 *)(r2 + 0)
r0 &= 3
exit
