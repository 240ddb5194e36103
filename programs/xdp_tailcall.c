// SPDX-License-Identifier: GPL-2.0
/* xdp_tailcall: a dispatcher that hands each packet to a per-protocol stage
 * through a program array (bpf_tail_call), the way large XDP applications
 * are split into independently replaceable parts.
 *   xdp_dispatch  (the entry point) reads the EtherType and tail-calls
 *                 slot STAGE_IPV4 (0) for IPv4 or STAGE_IPV6 (1) for IPv6.
 *                 A tail call into an empty slot returns to the caller, which
 *                 then passes the packet; other EtherTypes are passed.
 *   xdp_ipv4_stage drops IPv4 fragments (MF set or a non-zero offset), a
 *                 common defence against fragment floods, and packets whose
 *                 header length field is invalid (< 5); it passes the rest.
 * The object fills slot 0 with xdp_ipv4_stage itself (a static initializer
 * of the `stages` map, applied by libbpf at load time); slot 1 is left empty
 * for an IPv6 stage loaded later. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define STAGE_IPV4 0
#define STAGE_IPV6 1
#define IP_MF 0x2000
#define IP_FRAG_OFFSET_MASK 0x1fff

int xdp_ipv4_stage(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	/* Sizes rather than BTF types: the kernel accepts no BTF on fd arrays. */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 4);
	__array(values, int(struct xdp_md *));
} stages SEC(".maps") = {
	.values = {
		[STAGE_IPV4] = (void *)&xdp_ipv4_stage,
	},
};

SEC("xdp")
int xdp_dispatch(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		bpf_tail_call(ctx, &stages, STAGE_IPV4);
	else if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		bpf_tail_call(ctx, &stages, STAGE_IPV6);
	/* Reached only when the slot is empty or the protocol has no stage. */
	return XDP_PASS;
}

SEC("xdp")
int xdp_ipv4_stage(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *iph = data + sizeof(struct ethhdr);

	if ((void *)(iph + 1) > data_end)
		return XDP_PASS;
	if (iph->ihl < 5)
		return XDP_DROP;
	if (iph->frag_off & bpf_htons(IP_MF | IP_FRAG_OFFSET_MASK))
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
