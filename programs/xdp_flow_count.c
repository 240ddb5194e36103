// SPDX-License-Identifier: GPL-2.0
/* xdp_flow_count: per-flow packet and byte counters for IPv4 TCP and UDP.
 * Each flow (source, destination, ports, protocol) has an entry in the
 * shared `flows` hash; all CPUs update the same entry, so the counters are
 * incremented with atomic adds. A new flow is inserted with BPF_NOEXIST; if
 * another CPU inserted it first, the packet is added to that entry. When
 * the table is full the packet is counted in `untracked` (a .bss global)
 * instead. Bytes are the whole frame's length. Every packet is passed. */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define IP_FRAG_OFFSET_MASK 0x1fff

struct flow_tuple {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 protocol;
	__u8 pad[3];
};

struct flow_counters {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct flow_tuple);
	__type(value, struct flow_counters);
	__uint(max_entries, 16384);
} flows SEC(".maps");

/* Packets of flows that found the table full. */
__u64 untracked = 0;

SEC("xdp")
int xdp_flow_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph;
	struct udphdr *ports;
	struct flow_tuple tuple;
	struct flow_counters *counters;
	__u64 len_bytes = data_end - data;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end || iph->ihl < 5)
		return XDP_PASS;
	if (iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_UDP)
		return XDP_PASS;
	if (iph->frag_off & bpf_htons(IP_FRAG_OFFSET_MASK))
		return XDP_PASS;
	/* TCP and UDP headers both start with the two ports. */
	ports = (void *)iph + iph->ihl * 4;
	if ((void *)(ports + 1) > data_end)
		return XDP_PASS;

	__builtin_memset(&tuple, 0, sizeof(tuple));
	tuple.saddr = iph->saddr;
	tuple.daddr = iph->daddr;
	tuple.sport = ports->source;
	tuple.dport = ports->dest;
	tuple.protocol = iph->protocol;

	counters = bpf_map_lookup_elem(&flows, &tuple);
	if (!counters) {
		struct flow_counters first = { .packets = 1, .bytes = len_bytes };

		if (bpf_map_update_elem(&flows, &tuple, &first, BPF_NOEXIST) == 0)
			return XDP_PASS;
		/* Lost the race to another CPU, or the table is full. */
		counters = bpf_map_lookup_elem(&flows, &tuple);
		if (!counters) {
			__sync_fetch_and_add(&untracked, 1);
			return XDP_PASS;
		}
	}
	__sync_fetch_and_add(&counters->packets, 1);
	__sync_fetch_and_add(&counters->bytes, len_bytes);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
