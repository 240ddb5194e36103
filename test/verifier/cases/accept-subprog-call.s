# expect: accept
# why: a bpf-to-bpf call: the callee gets r1, returns in r0, r6 survives the call
r6 = 40
r1 = 2
call add
r0 += r6
r0 &= 3
exit
add:
r0 = r1
r0 += 1
exit
