# expect: reject
# message: BPF_LD_[ABS|IND] instructions not allowed for this program type
# why: legacy packet loads exist only for socket filters and tc
r6 = r1
r0 = *(u8 *)skb[12]
exit
