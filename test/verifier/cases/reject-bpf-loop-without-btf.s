# expect: reject
# message: missing btf func_info
# why: the kernel takes a function's address (for a bpf_loop callback) only when BTF func info says it is a static function
r1 = 8
ld_pseudo r2, 4, 6
r3 = 0
r4 = 0
call 181
r0 = 2
exit
r0 = 0
exit
