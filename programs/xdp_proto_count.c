// SPDX-License-Identifier: GPL-2.0
/* xdp_proto_count: counts packets and bytes per IP protocol number
 * (the IPv4 "protocol" field, or the IPv6 "next header" field of the fixed
 * header) in a per-CPU array indexed by that number. Non-IP frames and
 * truncated headers are counted under index 255 (IPPROTO_RAW, never carried
 * on the wire as an upper-layer protocol). Every packet is passed on. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define UNPARSED_SLOT 255

struct proto_stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct proto_stats);
	__uint(max_entries, 256);
} proto_stats SEC(".maps");

static __always_inline __u32 ip_protocol(void *data, void *data_end)
{
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return UNPARSED_SLOT;

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > data_end)
			return UNPARSED_SLOT;
		return iph->protocol;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);

		if ((void *)(ip6h + 1) > data_end)
			return UNPARSED_SLOT;
		return ip6h->nexthdr;
	}
	return UNPARSED_SLOT;
}

SEC("xdp")
int xdp_proto_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 key = ip_protocol(data, data_end);
	struct proto_stats *stats;

	stats = bpf_map_lookup_elem(&proto_stats, &key);
	if (!stats)
		return XDP_PASS;
	/* Per-CPU slots are only touched by this CPU: no atomics needed. */
	stats->packets += 1;
	stats->bytes += data_end - data;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
