// struct xdp_md, the context an XDP program receives in r1 (include/uapi/linux/bpf.h).
// Programs read it with 4-byte loads; the kernel rewrites loads of data,
// data_end and data_meta into loads of the 64-bit xdp_buff pointers
// (net/core/filter.c xdp_convert_ctx_access), so those yield packet pointers.
// The context is read-only (xdp_is_valid_access refuses BPF_WRITE).
import type { ContextFields } from "../interp/memory.ts";
import type { XdpBuffer } from "./buffer.ts";

export const XdpMdOffset = {
  DATA: 0,
  DATA_END: 4,
  DATA_META: 8,
  INGRESS_IFINDEX: 12,
  RX_QUEUE_INDEX: 16,
  EGRESS_IFINDEX: 20,
} as const;
export const XDP_MD_BYTES = 24;
const FIELD_BYTES = 4;

// The receive queue the packet arrived on. BPF_PROG_TEST_RUN without a context
// uses queue 0 of the loopback device, whose ifindex is 1.
export interface XdpRxQueue {
  readonly ingressIfindex: number;
  readonly rxQueueIndex: number;
  // Only devmap programs may read it; 0 for ordinary XDP programs.
  readonly egressIfindex: number;
}

export const LOOPBACK_RX_QUEUE: XdpRxQueue = { ingressIfindex: 1, rxQueueIndex: 0, egressIfindex: 0 };

export function xdpContextFields(buffer: XdpBuffer, frameBase: bigint, rx: XdpRxQueue): ContextFields {
  return {
    sizeBytes: XDP_MD_BYTES,
    load(offset: number, size: number): bigint | string {
      if (size !== FIELD_BYTES || offset % FIELD_BYTES !== 0 || offset < 0 || offset >= XDP_MD_BYTES) {
        return `xdp_md is read with aligned 4-byte loads only (offset ${offset}, size ${size})`;
      }
      switch (offset) {
        case XdpMdOffset.DATA:
          return frameBase + BigInt(buffer.data);
        case XdpMdOffset.DATA_END:
          return frameBase + BigInt(buffer.dataEnd);
        case XdpMdOffset.DATA_META:
          return frameBase + BigInt(buffer.dataMeta);
        case XdpMdOffset.INGRESS_IFINDEX:
          return BigInt(rx.ingressIfindex >>> 0);
        case XdpMdOffset.RX_QUEUE_INDEX:
          return BigInt(rx.rxQueueIndex >>> 0);
        default:
          return BigInt(rx.egressIfindex >>> 0);
      }
    },
  };
}
