// SPDX-License-Identifier: GPL-2.0
/* xdp_firewall: a 5-tuple blocklist for IPv4 and IPv6.
 * Builds (family, protocol, source, destination, source port, destination
 * port) from each packet and drops it when that exact tuple is in the
 * `blocklist` hash, counting the hit in the entry's value. Ports are zero
 * for protocols other than TCP and UDP and for IPv4 non-first fragments
 * (which carry no transport header). IPv4 addresses occupy the first four
 * bytes of the 16-byte address fields; the rest stays zero. IPv6 extension
 * headers are not walked: the tuple's protocol is the fixed header's next
 * header. Packets that do not parse (non-IP, truncated) are passed. */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define FAMILY_IPV4 4
#define FAMILY_IPV6 6
#define IP_FRAG_OFFSET_MASK 0x1fff

/* 40 bytes, no implicit padding: the whole key is hashed, so every byte
 * must be written before the lookup. */
struct flow_key {
	__u8 family;
	__u8 protocol;
	__be16 sport;
	__be16 dport;
	__u16 pad;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct flow_key);
	__type(value, __u64); /* packets dropped by this entry */
	__uint(max_entries, 4096);
} blocklist SEC(".maps");

/* Fills the ports of TCP and UDP; leaves them zero for other protocols.
 * Returns -1 when the transport header is truncated. */
static __always_inline int parse_ports(void *l4, void *data_end, struct flow_key *key)
{
	if (key->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;

		if ((void *)(tcp + 1) > data_end)
			return -1;
		key->sport = tcp->source;
		key->dport = tcp->dest;
	} else if (key->protocol == IPPROTO_UDP) {
		struct udphdr *udp = l4;

		if ((void *)(udp + 1) > data_end)
			return -1;
		key->sport = udp->source;
		key->dport = udp->dest;
	}
	return 0;
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct flow_key key;
	__u64 *hits;

	__builtin_memset(&key, 0, sizeof(key));
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);
		__u32 ihl_bytes;

		if ((void *)(iph + 1) > data_end)
			return XDP_PASS;
		ihl_bytes = iph->ihl * 4;
		if (ihl_bytes < sizeof(*iph))
			return XDP_PASS;
		key.family = FAMILY_IPV4;
		key.protocol = iph->protocol;
		__builtin_memcpy(key.saddr, &iph->saddr, 4);
		__builtin_memcpy(key.daddr, &iph->daddr, 4);
		if ((iph->frag_off & bpf_htons(IP_FRAG_OFFSET_MASK)) == 0 &&
		    parse_ports((void *)iph + ihl_bytes, data_end, &key) < 0)
			return XDP_PASS;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);

		if ((void *)(ip6h + 1) > data_end)
			return XDP_PASS;
		key.family = FAMILY_IPV6;
		key.protocol = ip6h->nexthdr;
		__builtin_memcpy(key.saddr, &ip6h->saddr, 16);
		__builtin_memcpy(key.daddr, &ip6h->daddr, 16);
		if (parse_ports(ip6h + 1, data_end, &key) < 0)
			return XDP_PASS;
	} else {
		return XDP_PASS;
	}

	hits = bpf_map_lookup_elem(&blocklist, &key);
	if (!hits)
		return XDP_PASS;
	__sync_fetch_and_add(hits, 1);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
