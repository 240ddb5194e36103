// SPDX-License-Identifier: GPL-2.0
/* xdp_ipv6_exthdr: a port filter for IPv6 that looks past extension headers.
 * ipv6_l4_offset() walks the chain of extension headers (hop-by-hop,
 * routing, destination options, fragment, AH) in a loop bounded by
 * MAX_EXT_HDRS to find the upper-layer header; l4_dest_port() reads the TCP
 * or UDP destination port there. Both are separate BPF functions
 * (bpf-to-bpf calls). A packet whose destination port is in `deny_ports`
 * is dropped and counted.
 * Packets with more than MAX_EXT_HDRS extension headers, or whose upper-layer
 * header would start beyond MAX_L4_OFFSET bytes, are dropped: a long chain
 * is a known way to hide the transport header from filters (RFC 7112).
 * Non-first fragments (no transport header), other protocols, non-IPv6 and
 * truncated packets are passed. */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/if_ether.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_EXT_HDRS 8
#define MAX_L4_OFFSET 512
#define IPV6_FRAG_OFFSET_MASK 0xfff8

/* Why ipv6_l4_offset() found no transport header. */
#define L4_TRUNCATED -1
#define L4_TOO_DEEP -2
#define L4_NOT_FIRST_FRAGMENT -3

struct ipv6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u16);   /* destination port, host order */
	__type(value, __u64); /* packets dropped */
	__uint(max_entries, 1024);
} deny_ports SEC(".maps");

/* Returns the offset of the upper-layer header from the frame start and its
 * protocol in *l4_proto, or one of the L4_* codes. */
static __noinline int ipv6_l4_offset(struct xdp_md *ctx, __u8 *l4_proto)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ipv6hdr *ip6h = data + sizeof(struct ethhdr);
	__u32 off = sizeof(struct ethhdr) + sizeof(struct ipv6hdr);
	__u8 nexthdr;
	int i;

	if ((void *)(ip6h + 1) > data_end)
		return L4_TRUNCATED;
	nexthdr = ip6h->nexthdr;

	/* One pass per extension header, plus one to reach the upper layer. */
	for (i = 0; i <= MAX_EXT_HDRS; i++) {
		struct ipv6_opt_hdr *opt;
		struct ipv6_frag *frag;

		if (off > MAX_L4_OFFSET)
			return L4_TOO_DEEP;
		switch (nexthdr) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			opt = data + off;
			if ((void *)(opt + 1) > data_end)
				return L4_TRUNCATED;
			nexthdr = opt->nexthdr;
			off += (opt->hdrlen + 1) * 8;
			break;
		case IPPROTO_AH:
			/* AH counts its length in 4-byte units, minus 2 (RFC 4302). */
			opt = data + off;
			if ((void *)(opt + 1) > data_end)
				return L4_TRUNCATED;
			nexthdr = opt->nexthdr;
			off += (opt->hdrlen + 2) * 4;
			break;
		case IPPROTO_FRAGMENT:
			frag = data + off;
			if ((void *)(frag + 1) > data_end)
				return L4_TRUNCATED;
			if (frag->frag_off & bpf_htons(IPV6_FRAG_OFFSET_MASK))
				return L4_NOT_FIRST_FRAGMENT;
			nexthdr = frag->nexthdr;
			off += sizeof(*frag);
			break;
		default:
			*l4_proto = nexthdr;
			return off;
		}
	}
	return L4_TOO_DEEP;
}

/* Returns the TCP or UDP destination port (host order) of the header at
 * `off`, or -1 for other protocols and truncated headers. */
static __noinline int l4_dest_port(struct xdp_md *ctx, __u32 off, __u8 l4_proto)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct udphdr *ports;

	if (off > MAX_L4_OFFSET)
		return -1;
	if (l4_proto != IPPROTO_TCP && l4_proto != IPPROTO_UDP)
		return -1;
	/* TCP and UDP headers both start with the source and destination ports. */
	ports = data + off;
	if ((void *)(ports + 1) > data_end)
		return -1;
	if (l4_proto == IPPROTO_TCP && (void *)((struct tcphdr *)ports + 1) > data_end)
		return -1;
	return bpf_ntohs(ports->dest);
}

SEC("xdp")
int xdp_ipv6_exthdr(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u8 l4_proto = 0;
	__u64 *drops;
	__u16 port;
	int off, dport;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IPV6))
		return XDP_PASS;

	off = ipv6_l4_offset(ctx, &l4_proto);
	if (off == L4_TOO_DEEP)
		return XDP_DROP;
	if (off < 0)
		return XDP_PASS;
	dport = l4_dest_port(ctx, off, l4_proto);
	if (dport < 0)
		return XDP_PASS;

	port = dport;
	drops = bpf_map_lookup_elem(&deny_ports, &port);
	if (!drops)
		return XDP_PASS;
	__sync_fetch_and_add(drops, 1);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
