# expect: reject
# message: R5 !read_ok
# why: r5 is not an argument of an XDP program
r0 = r5
exit
