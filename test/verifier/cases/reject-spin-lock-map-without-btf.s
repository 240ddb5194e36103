# expect: reject
# message: map 'locks' has to have BTF in order to use bpf_spin_lock
# map: locks hash key=4 value=8 entries=4
# why: bpf_spin_lock on a value of a map created without BTF: the kernel cannot know where (or whether) the value holds a struct bpf_spin_lock
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, 0
call 1
if r0 == 0 goto out
r6 = r0
r1 = r0
call 93
r1 = r6
call 94
out:
r0 = 2
exit
