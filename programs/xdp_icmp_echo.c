// SPDX-License-Identifier: GPL-2.0
/* xdp_icmp_echo: answers IPv4 ICMP echo requests ("ping") from the driver.
 * An echo request (type 8, code 0) addressed to a unicast destination is
 * turned into its echo reply in place and sent back out (XDP_TX):
 *   - Ethernet source and destination are swapped;
 *   - IPv4 source and destination are swapped (the header checksum does not
 *     change: the one's complement sum does not depend on word order) and
 *     the TTL is reset to 64, with an incremental checksum update;
 *   - the ICMP type becomes 0 (echo reply), with an incremental update of
 *     the ICMP checksum (RFC 1624, eqn. 3); identifier, sequence number and
 *     payload are echoed unchanged.
 * Everything else (other ICMP types, fragments, multicast or broadcast
 * destinations, non-ICMP, non-IPv4, truncated headers) is passed. */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/icmp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define REPLY_TTL 64
#define IP_MF 0x2000
#define IP_FRAG_OFFSET_MASK 0x1fff

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for one 16-bit word m -> m'. */
static __always_inline __sum16 csum_replace_word(__sum16 check, __be16 old_word, __be16 new_word)
{
	__u32 sum = (__u16)~check + (__u16)~old_word + (__u16)new_word;

	return ~csum_fold(sum);
}

/* Multicast is 224.0.0.0/4; 255.255.255.255 is the limited broadcast. */
static __always_inline int is_unicast(__be32 addr)
{
	__u32 host = bpf_ntohl(addr);

	return (host & 0xf0000000) != 0xe0000000 && host != 0xffffffff;
}

SEC("xdp")
int xdp_icmp_echo(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph;
	struct icmphdr *icmp;
	__u8 mac[ETH_ALEN];
	__be32 addr;
	__be16 old_word;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return XDP_PASS;
	if (iph->ihl < 5 || iph->protocol != IPPROTO_ICMP)
		return XDP_PASS;
	if (iph->frag_off & bpf_htons(IP_MF | IP_FRAG_OFFSET_MASK))
		return XDP_PASS;
	if (!is_unicast(iph->daddr))
		return XDP_PASS;
	icmp = (void *)iph + iph->ihl * 4;
	if ((void *)(icmp + 1) > data_end)
		return XDP_PASS;
	if (icmp->type != ICMP_ECHO || icmp->code != 0)
		return XDP_PASS;

	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);

	addr = iph->saddr;
	iph->saddr = iph->daddr;
	iph->daddr = addr;
	/* TTL and protocol share one 16-bit word of the header. */
	old_word = *(__be16 *)&iph->ttl;
	iph->ttl = REPLY_TTL;
	iph->check = csum_replace_word(iph->check, old_word, *(__be16 *)&iph->ttl);

	/* Type and code share the first 16-bit word of the ICMP header. */
	old_word = *(__be16 *)icmp;
	icmp->type = ICMP_ECHOREPLY;
	icmp->checksum = csum_replace_word(icmp->checksum, old_word, *(__be16 *)icmp);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
