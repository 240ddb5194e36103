// Sizes and limits of the XDP packet buffer, as the Linux kernel defines them.
// The frame is laid out the way BPF_PROG_TEST_RUN builds it
// (net/bpf/test_run.c, bpf_prog_test_run_xdp), so a packet run here and the same
// packet run through the kernel see the same head- and tailroom.

// include/uapi/linux/bpf.h: headroom reserved in front of the packet data.
export const XDP_PACKET_HEADROOM = 256;

// net/bpf/test_run.c: the test frame is one 4096-byte page (headroom + max data + tailroom).
export const TEST_RUN_FRAME_BYTES = 4096;

// SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86_64 with MAX_SKB_FRAGS = 17:
// 48 bytes of fields + 17 * 16-byte frags = 320, already a multiple of the 64-byte cache line.
// The tail of the frame that bpf_xdp_adjust_tail may never grow into (xdp_data_hard_end).
export const SKB_SHARED_INFO_BYTES = 320;

// sizeof(struct xdp_frame) on x86_64 (include/net/xdp.h; checked against the running
// kernel's BTF): the front of the headroom that adjust_head/adjust_meta may not reach.
export const XDP_FRAME_BYTES = 40;

// include/uapi/linux/if_ether.h: bpf_xdp_adjust_head/tail keep at least an Ethernet header.
export const ETH_HLEN = 14;

// include/net/xdp.h xdp_metalen_invalid(): metadata is a multiple of 4 bytes and at most
// type_max(skb_shared_info.meta_len), a __u8 (older kernels capped it at 32; 6.18, the
// kernel this models, lets a program grow 216 bytes of metadata into the headroom).
export const XDP_METADATA_MAX_BYTES = 255;
export const XDP_METADATA_ALIGN_BYTES = 4;

// The largest packet BPF_PROG_TEST_RUN keeps linear (larger ones become fragments, not
// modelled): the page minus headroom and shared info; metadata comes out of the headroom.
export const MAX_LINEAR_PACKET_BYTES = TEST_RUN_FRAME_BYTES - XDP_PACKET_HEADROOM - SKB_SHARED_INFO_BYTES;

export const xdpMetadataLengthInvalid = (lengthBytes: number): boolean =>
  lengthBytes % XDP_METADATA_ALIGN_BYTES !== 0 || lengthBytes > XDP_METADATA_MAX_BYTES;

// enum xdp_action (include/uapi/linux/bpf.h).
export const XdpAction = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;
export type XdpActionCode = (typeof XdpAction)[keyof typeof XdpAction];

export const xdpActionName = (code: bigint): string => {
  const names = ["XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"];
  return code >= 0n && code < BigInt(names.length) ? names[Number(code)] : `unknown action ${code}`;
};
