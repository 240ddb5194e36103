# expect: reject
# message: R0 !read_ok
# why: exit returns r0, which was never written
exit
