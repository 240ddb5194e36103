# expect: accept
# why: data + 13 < data_end proves 14 bytes (a right-open comparison)
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 13
if r4 < r3 goto ok
r0 = 1
exit
ok:
r0 = *(u8 *)(r2 + 13)
exit
