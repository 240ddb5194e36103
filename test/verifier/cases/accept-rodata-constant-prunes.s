# expect: accept
# map: .rodata array key=4 value=4 entries=1 flags=128 frozen init=07000000
# why: a frozen read-only value is a known constant: the path that leaves r0 unset is dead
ld_pseudo r1, 6, 0
r2 = *(u32 *)(r1 + 0)
if r2 == 7 goto ok
exit
ok:
r0 = 2
exit
