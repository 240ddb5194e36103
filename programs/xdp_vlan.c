// SPDX-License-Identifier: GPL-2.0
/* xdp_vlan: 802.1Q tag push, pop and rewrite, driven by `vlan_xlate`.
 * The map's key is the frame's VLAN id (0 for an untagged frame) and its
 * value the VLAN id the frame should leave with (0 for untagged):
 *   untagged frame, entry 0 -> V (V != 0): push a tag with VLAN id V,
 *                                           priority 0 (bpf_xdp_adjust_head -4);
 *   tagged frame with id X, entry X -> 0:   pop the tag (adjust_head +4);
 *   tagged frame with id X, entry X -> Y:   rewrite the id, keep the priority
 *                                           and DEI bits.
 * Frames without an entry leave unchanged. Only single 802.1Q (TPID 0x8100)
 * tags are handled; 802.1ad outer tags are left alone. Everything is passed
 * on; frames shorter than an Ethernet header are dropped. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define VLAN_HLEN 4
#define VLAN_VID_MASK 0x0fff
#define MAC_PAIR_LEN (2 * ETH_ALEN)

/* The bytes that follow the MAC addresses in a tagged frame. */
struct vlan_tag {
	__be16 tpid;
	__be16 tci;
	__be16 inner_proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u16);   /* VLAN id of the arriving frame, 0 = untagged */
	__type(value, __u16); /* VLAN id to leave with, 0 = untagged */
	__uint(max_entries, 4096);
} vlan_xlate SEC(".maps");

static __always_inline int pop_tag(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 macs[MAC_PAIR_LEN];

	if (data + MAC_PAIR_LEN > data_end)
		return XDP_DROP;
	__builtin_memcpy(macs, data, MAC_PAIR_LEN);
	if (bpf_xdp_adjust_head(ctx, VLAN_HLEN))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + MAC_PAIR_LEN > data_end)
		return XDP_DROP;
	/* The inner EtherType already sits right after the moved MACs. */
	__builtin_memcpy(data, macs, MAC_PAIR_LEN);
	return XDP_PASS;
}

static __always_inline int push_tag(struct xdp_md *ctx, __u16 vid)
{
	void *data;
	void *data_end;
	struct vlan_tag *tag;

	if (bpf_xdp_adjust_head(ctx, -VLAN_HLEN))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	tag = data + MAC_PAIR_LEN;
	if ((void *)(tag + 1) > data_end)
		return XDP_DROP;
	/* Move the MACs to the new start; the old EtherType becomes the inner one. */
	__builtin_memmove(data, data + VLAN_HLEN, MAC_PAIR_LEN);
	tag->tpid = bpf_htons(ETH_P_8021Q);
	tag->tci = bpf_htons(vid & VLAN_VID_MASK);
	return XDP_PASS;
}

SEC("xdp")
int xdp_vlan(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u16 vid = 0;
	__u16 *target;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;

	if (eth->h_proto == bpf_htons(ETH_P_8021Q)) {
		struct vlan_tag *tag = data + MAC_PAIR_LEN;

		if ((void *)(tag + 1) > data_end)
			return XDP_PASS;
		vid = bpf_ntohs(tag->tci) & VLAN_VID_MASK;
		target = bpf_map_lookup_elem(&vlan_xlate, &vid);
		if (!target)
			return XDP_PASS;
		if (*target == 0)
			return pop_tag(ctx);
		tag->tci = (tag->tci & bpf_htons(~VLAN_VID_MASK)) |
			   bpf_htons(*target & VLAN_VID_MASK);
		return XDP_PASS;
	}

	target = bpf_map_lookup_elem(&vlan_xlate, &vid);
	if (!target || *target == 0)
		return XDP_PASS;
	return push_tag(ctx, *target);
}

char LICENSE[] SEC("license") = "GPL";
