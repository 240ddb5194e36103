// SPDX-License-Identifier: GPL-2.0
/* xdp_udp_guard: lets UDP in only on configured service ports.
 * The allowed destination ports live in read-only globals (.rodata) that
 * the loader may patch before loading, as libbpf skeletons do; by default
 * DNS (53) and NTP (123). An IPv4 UDP datagram to any other port is dropped.
 * Allowed and dropped datagrams are counted in .bss globals. Non-UDP,
 * non-IPv4, non-first fragments (no UDP header) and truncated packets are
 * passed without being counted. */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_ALLOWED_PORTS 4
#define IP_FRAG_OFFSET_MASK 0x1fff

/* Configuration: host-order ports; only the first allowed_port_count count. */
const volatile __u16 allowed_ports[MAX_ALLOWED_PORTS] = { 53, 123 };
const volatile __u32 allowed_port_count = 2;

/* Statistics, read by user space through the .bss map. */
__u64 udp_allowed = 0;
__u64 udp_dropped = 0;

static __always_inline int port_allowed(__u16 port)
{
	int i;

	for (i = 0; i < MAX_ALLOWED_PORTS; i++) {
		if (i >= allowed_port_count)
			break;
		if (allowed_ports[i] == port)
			return 1;
	}
	return 0;
}

SEC("xdp")
int xdp_udp_guard(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph;
	struct udphdr *udp;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end || iph->ihl < 5 || iph->protocol != IPPROTO_UDP)
		return XDP_PASS;
	if (iph->frag_off & bpf_htons(IP_FRAG_OFFSET_MASK))
		return XDP_PASS;
	udp = (void *)iph + iph->ihl * 4;
	if ((void *)(udp + 1) > data_end)
		return XDP_PASS;

	if (port_allowed(bpf_ntohs(udp->dest))) {
		__sync_fetch_and_add(&udp_allowed, 1);
		return XDP_PASS;
	}
	__sync_fetch_and_add(&udp_dropped, 1);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
