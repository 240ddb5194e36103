// SPDX-License-Identifier: GPL-2.0
/* xdp_trim: a snap-length tap. Frames longer than SNAPLEN_BYTES are cut to
 * their first SNAPLEN_BYTES bytes with bpf_xdp_adjust_tail (a negative
 * delta shrinks the frame), so a capture socket behind it receives only the
 * headers. Shorter frames are untouched. Every frame is passed on; a frame
 * the kernel refuses to shrink is dropped rather than leaked whole. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define SNAPLEN_BYTES 96

SEC("xdp")
int xdp_trim(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	long len = data_end - data;

	if (len <= SNAPLEN_BYTES)
		return XDP_PASS;
	if (bpf_xdp_adjust_tail(ctx, (int)(SNAPLEN_BYTES - len)))
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
