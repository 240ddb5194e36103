// SPDX-License-Identifier: GPL-2.0
/* xdp_l4_lb: a layer-4 load balancer for IPv4 TCP and UDP.
 * A packet whose (destination address, destination port, protocol) is a
 * virtual service in `vips` is sent to one of that service's backends:
 *   1. the flow's 5-tuple is hashed (a flow always hashes alike, so all of
 *      its packets reach the same backend);
 *   2. the hash picks a slot in the service's row of the consistent-hashing
 *      table `ch_ring` (CH_RING_SIZE slots, a prime, filled by the control
 *      plane as Maglev fills its lookup table), which names a backend;
 *   3. the packet is encapsulated IP-in-IP (RFC 2003): bpf_xdp_adjust_head
 *      makes room for an outer IPv4 header from `lb_config.tunnel_src` to the
 *      backend, with a freshly computed header checksum, and the frame is
 *      sent back out (XDP_TX) to the gateway MAC in `lb_config`.
 * Non-service traffic, fragments, packets with IP options and packets too
 * large to grow by 20 bytes within a 1500-byte MTU are passed to the stack.
 * A service whose ring slot or backend is missing drops the packet. */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define CH_RING_SIZE 17
#define MAX_VIPS 8
#define MAX_BACKENDS 64
#define MTU_BYTES 1500
#define TUNNEL_TTL 64
#define IP_MF 0x2000
#define IP_FRAG_OFFSET_MASK 0x1fff

struct vip_key {
	__be32 addr;
	__be16 port;
	__u8 protocol;
	__u8 pad;
};

struct vip_meta {
	__u32 ring_row; /* this service's row in ch_ring */
};

struct backend {
	__be32 addr;
};

struct lb_config {
	__be32 tunnel_src;
	__u8 gateway_mac[ETH_ALEN];
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct vip_key);
	__type(value, struct vip_meta);
	__uint(max_entries, MAX_VIPS);
} vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32); /* index into backends */
	__uint(max_entries, MAX_VIPS * CH_RING_SIZE);
} ch_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct backend);
	__uint(max_entries, MAX_BACKENDS);
} backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct lb_config);
	__uint(max_entries, 1);
} lb_config SEC(".maps");

/* The 32-bit finalizer of MurmurHash3: every input bit affects every
 * output bit, which spreads nearby tuples over the ring. */
static __always_inline __u32 mix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

/* Hashes the tuple as host-order numbers, so the result does not depend on
 * the byte order of the machine running it. */
static __always_inline __u32 flow_hash(__be32 saddr, __be32 daddr, __be16 sport,
				       __be16 dport, __u8 protocol)
{
	__u32 ports = ((__u32)bpf_ntohs(sport) << 16) | bpf_ntohs(dport);
	__u32 h;

	h = mix32(bpf_ntohl(saddr));
	h = mix32(h ^ bpf_ntohl(daddr));
	h = mix32(h ^ ports);
	return mix32(h ^ protocol);
}

/* RFC 1071 checksum of an option-less IPv4 header. */
static __always_inline __u16 ipv4_header_csum(const struct iphdr *iph)
{
	const __u16 *word = (const __u16 *)iph;
	__u32 sum = 0;
	int i;

	for (i = 0; i < (int)(sizeof(*iph) / 2); i++)
		sum += word[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

SEC("xdp")
int xdp_l4_lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph;
	struct vip_key vip;
	struct vip_meta *meta;
	struct backend *be;
	struct lb_config *cfg;
	struct iphdr outer;
	__u8 vip_mac[ETH_ALEN];
	__be16 sport, dport;
	__u32 zero = 0, slot, *backend_index;
	__u16 inner_len;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return XDP_PASS;
	if (iph->ihl != 5 || (iph->frag_off & bpf_htons(IP_MF | IP_FRAG_OFFSET_MASK)))
		return XDP_PASS;

	if (iph->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = (void *)(iph + 1);

		if ((void *)(tcp + 1) > data_end)
			return XDP_PASS;
		sport = tcp->source;
		dport = tcp->dest;
	} else if (iph->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)(iph + 1);

		if ((void *)(udp + 1) > data_end)
			return XDP_PASS;
		sport = udp->source;
		dport = udp->dest;
	} else {
		return XDP_PASS;
	}

	vip.addr = iph->daddr;
	vip.port = dport;
	vip.protocol = iph->protocol;
	vip.pad = 0;
	meta = bpf_map_lookup_elem(&vips, &vip);
	if (!meta)
		return XDP_PASS;

	inner_len = bpf_ntohs(iph->tot_len);
	if (inner_len > MTU_BYTES - sizeof(struct iphdr))
		return XDP_PASS;

	slot = meta->ring_row * CH_RING_SIZE +
	       flow_hash(iph->saddr, iph->daddr, sport, dport, iph->protocol) % CH_RING_SIZE;
	backend_index = bpf_map_lookup_elem(&ch_ring, &slot);
	if (!backend_index)
		return XDP_DROP;
	be = bpf_map_lookup_elem(&backends, backend_index);
	if (!be || be->addr == 0)
		return XDP_DROP;
	cfg = bpf_map_lookup_elem(&lb_config, &zero);
	if (!cfg)
		return XDP_DROP;

	outer.version = 4;
	outer.ihl = 5;
	outer.tos = iph->tos;
	outer.tot_len = bpf_htons(inner_len + sizeof(struct iphdr));
	outer.id = 0;
	outer.frag_off = 0;
	outer.ttl = TUNNEL_TTL;
	outer.protocol = IPPROTO_IPIP;
	outer.check = 0;
	outer.saddr = cfg->tunnel_src;
	outer.daddr = be->addr;
	outer.check = ipv4_header_csum(&outer);
	/* The frame leaves from the MAC it was sent to. */
	__builtin_memcpy(vip_mac, eth->h_dest, ETH_ALEN);

	if (bpf_xdp_adjust_head(ctx, 0 - (int)sizeof(struct iphdr)))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return XDP_DROP;

	__builtin_memcpy(eth->h_dest, cfg->gateway_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, vip_mac, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);
	__builtin_memcpy(iph, &outer, sizeof(outer));
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
