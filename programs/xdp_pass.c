// SPDX-License-Identifier: GPL-2.0
/* xdp_pass: hands every packet to the kernel network stack unchanged.
 * The smallest valid XDP program: no maps, no packet access.
 * Returns XDP_PASS (2) for every packet. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
