// SPDX-License-Identifier: GPL-2.0
/* xdp_mac_swap: a reflector. Swaps the Ethernet source and destination
 * addresses and sends the frame back out of the port it came in on (XDP_TX).
 * Frames shorter than an Ethernet header are dropped. Used as a loopback
 * for traffic generators and as the simplest packet-rewriting benchmark. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_mac_swap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u8 saved[ETH_ALEN];

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;

	__builtin_memcpy(saved, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, saved, ETH_ALEN);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
