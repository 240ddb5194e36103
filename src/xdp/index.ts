// XDP: the packet buffer, the xdp_md context and running a program on a packet.
export { XdpInputError, createXdpBuffer, metadataBytes, packetBytes, refillXdpBuffer, type XdpBuffer } from "./buffer.ts";
export { LOOPBACK_RX_QUEUE, XDP_MD_BYTES, XdpMdOffset, type XdpRxQueue } from "./context.ts";
export * from "./layout.ts";
export { runXdp, xdpRunResult, type XdpRunOptions, type XdpRunResult } from "./run-xdp.ts";
export { XdpPacketSession, type XdpSessionOptions } from "./packet-session.ts";
