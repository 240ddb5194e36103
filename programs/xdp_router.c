// SPDX-License-Identifier: GPL-2.0
/* xdp_router: forwards IPv4 and IPv6 packets in the driver using the
 * kernel's own routing and neighbour tables.
 * bpf_fib_lookup resolves the destination to an egress interface and the
 * next hop's MAC; when that interface is in the `tx_ports` devmap (keyed by
 * ifindex, so the control plane decides which ports take XDP-forwarded
 * traffic) the packet's TTL / hop limit is decremented (with an incremental
 * IPv4 checksum update), its MACs are rewritten from the lookup and it is
 * redirected with bpf_redirect_map (XDP_REDIRECT).
 * Routes that blackhole, are unreachable or prohibited drop the packet. All
 * else is passed to the stack: TTL <= 1 (so the stack sends ICMP time
 * exceeded), no neighbour entry yet (the stack resolves it), local
 * destinations, forwarding disabled, fragmentation needed, egress port not
 * in `tx_ports`, non-IP and truncated frames. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* From linux/socket.h, which cannot be included without the C library. */
#define AF_INET 2
#define AF_INET6 10
#define IPV6_FLOWINFO_MASK bpf_htonl(0x0fffffff)

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__type(key, __u32);   /* egress ifindex */
	__type(value, __u32); /* the same ifindex */
	__uint(max_entries, 256);
} tx_ports SEC(".maps");

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* RFC 1624 eqn. 3 for one 16-bit word old_word -> new_word. */
static __always_inline __sum16 csum_replace_word(__sum16 check, __be16 old_word, __be16 new_word)
{
	return ~csum_fold((__u16)~check + (__u16)~old_word + (__u16)new_word);
}

static __always_inline void ipv4_decrement_ttl(struct iphdr *iph)
{
	/* TTL and protocol share one 16-bit word of the header. */
	__be16 old_word = *(__be16 *)&iph->ttl;

	iph->ttl -= 1;
	iph->check = csum_replace_word(iph->check, old_word, *(__be16 *)&iph->ttl);
}

SEC("xdp")
int xdp_router(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct bpf_fib_lookup fib;
	struct iphdr *iph = NULL;
	struct ipv6hdr *ip6h = NULL;
	int rc;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	__builtin_memset(&fib, 0, sizeof(fib));

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		iph = (void *)(eth + 1);
		if ((void *)(iph + 1) > data_end)
			return XDP_PASS;
		if (iph->ttl <= 1)
			return XDP_PASS;
		fib.family = AF_INET;
		fib.tos = iph->tos;
		fib.l4_protocol = iph->protocol;
		fib.tot_len = bpf_ntohs(iph->tot_len);
		fib.ipv4_src = iph->saddr;
		fib.ipv4_dst = iph->daddr;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		ip6h = (void *)(eth + 1);
		if ((void *)(ip6h + 1) > data_end)
			return XDP_PASS;
		if (ip6h->hop_limit <= 1)
			return XDP_PASS;
		fib.family = AF_INET6;
		fib.flowinfo = *(__be32 *)ip6h & IPV6_FLOWINFO_MASK;
		fib.l4_protocol = ip6h->nexthdr;
		fib.tot_len = bpf_ntohs(ip6h->payload_len);
		__builtin_memcpy(fib.ipv6_src, &ip6h->saddr, sizeof(fib.ipv6_src));
		__builtin_memcpy(fib.ipv6_dst, &ip6h->daddr, sizeof(fib.ipv6_dst));
	} else {
		return XDP_PASS;
	}
	fib.ifindex = ctx->ingress_ifindex;

	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	switch (rc) {
	case BPF_FIB_LKUP_RET_SUCCESS:
		break;
	case BPF_FIB_LKUP_RET_BLACKHOLE:
	case BPF_FIB_LKUP_RET_UNREACHABLE:
	case BPF_FIB_LKUP_RET_PROHIBIT:
		return XDP_DROP;
	default:
		return XDP_PASS;
	}

	if (!bpf_map_lookup_elem(&tx_ports, &fib.ifindex))
		return XDP_PASS;

	if (iph)
		ipv4_decrement_ttl(iph);
	else if (ip6h)
		ip6h->hop_limit -= 1;
	__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
	return bpf_redirect_map(&tx_ports, fib.ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
