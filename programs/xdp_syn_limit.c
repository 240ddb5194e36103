// SPDX-License-Identifier: GPL-2.0
/* xdp_syn_limit: a per-source SYN-flood limiter for IPv4.
 * Each source address that sends TCP SYNs (SYN set, ACK clear) gets a token
 * bucket in the `syn_buckets` LRU hash: SYN_BURST tokens, refilled at
 * SYN_RATE_PER_SEC tokens per second from bpf_ktime_get_ns(). A SYN takes a
 * token; a SYN that finds the bucket empty is dropped. The LRU evicts idle
 * sources when the table is full, so a flood of spoofed sources cannot
 * exhaust it. All other packets are passed.
 * A bucket whose last_ns lies in the future (clock not yet there) earns no
 * tokens. Updates from different CPUs may race on one bucket; the limiter
 * is approximate by design, as the kernel's own rate limiters are. */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define SYN_RATE_PER_SEC 100
#define SYN_BURST 10
#define NS_PER_SEC 1000000000ULL
#define NS_PER_TOKEN (NS_PER_SEC / SYN_RATE_PER_SEC)

struct token_bucket {
	__u64 tokens;
	__u64 last_ns; /* time up to which tokens have been credited */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __be32); /* IPv4 source address, network order */
	__type(value, struct token_bucket);
	__uint(max_entries, 65536);
} syn_buckets SEC(".maps");

static __always_inline void refill(struct token_bucket *b, __u64 now_ns)
{
	__u64 earned;

	if (now_ns <= b->last_ns)
		return;
	earned = (now_ns - b->last_ns) / NS_PER_TOKEN;
	if (earned == 0)
		return;
	if (earned >= SYN_BURST || b->tokens + earned >= SYN_BURST) {
		b->tokens = SYN_BURST;
		b->last_ns = now_ns;
	} else {
		b->tokens += earned;
		/* Keep the unspent fraction of a token for the next packet. */
		b->last_ns += earned * NS_PER_TOKEN;
	}
}

SEC("xdp")
int xdp_syn_limit(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph;
	struct tcphdr *tcp;
	struct token_bucket *bucket;
	__be32 saddr;
	__u64 now_ns;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end || iph->protocol != IPPROTO_TCP)
		return XDP_PASS;
	if (iph->ihl < 5)
		return XDP_PASS;
	tcp = (void *)iph + iph->ihl * 4;
	if ((void *)(tcp + 1) > data_end)
		return XDP_PASS;
	if (!tcp->syn || tcp->ack)
		return XDP_PASS;

	saddr = iph->saddr;
	now_ns = bpf_ktime_get_ns();
	bucket = bpf_map_lookup_elem(&syn_buckets, &saddr);
	if (!bucket) {
		struct token_bucket fresh = {
			.tokens = SYN_BURST - 1, /* this SYN takes one */
			.last_ns = now_ns,
		};

		bpf_map_update_elem(&syn_buckets, &saddr, &fresh, BPF_ANY);
		return XDP_PASS;
	}

	refill(bucket, now_ns);
	if (bucket->tokens == 0)
		return XDP_DROP;
	bucket->tokens -= 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
