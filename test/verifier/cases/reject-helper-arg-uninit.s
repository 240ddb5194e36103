# expect: reject
# message: R2 !read_ok
# map: counts hash key=4 value=8 entries=16
# why: the key argument was never set
ld_pseudo r1, 5, 0
call 1
r0 = 0
exit
