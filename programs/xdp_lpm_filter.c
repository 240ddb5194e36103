// SPDX-License-Identifier: GPL-2.0
/* xdp_lpm_filter: filters IPv4 packets by source prefix.
 * Looks up the source address in the `src_prefixes` longest-prefix-match
 * trie; the value of the most specific matching prefix is the verdict:
 * XDP_DROP (1) drops the packet, anything else passes it. A more specific
 * prefix can therefore punch an allow hole into a blocked range
 * (10.0.0.0/8 -> DROP, 10.1.2.0/24 -> PASS). Unmatched sources, non-IPv4
 * frames and truncated headers are passed. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* The LPM trie key layout the kernel expects: a host-order prefix length,
 * then the address bytes in network order. */
struct ipv4_lpm_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct ipv4_lpm_key);
	__type(value, __u32); /* an XDP action */
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* required for LPM tries */
} src_prefixes SEC(".maps");

SEC("xdp")
int xdp_lpm_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph;
	struct ipv4_lpm_key key;
	__u32 *verdict;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return XDP_PASS;

	key.prefixlen = 32;
	__builtin_memcpy(key.addr, &iph->saddr, 4);
	verdict = bpf_map_lookup_elem(&src_prefixes, &key);
	if (verdict && *verdict == XDP_DROP)
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
