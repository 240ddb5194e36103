// SPDX-License-Identifier: GPL-2.0
/* xdp_drop: drops every packet at the driver, before any allocation.
 * The classic "black hole" used to measure a NIC's raw drop rate.
 * Returns XDP_DROP (1) for every packet. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
