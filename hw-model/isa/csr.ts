// Per-packet status registers readable with `csr_rd`. They carry what the XDP
// context (struct xdp_md) gives a program. Pointers are model addresses (see
// exec/address.ts); none of them depends on which core or thread runs the packet,
// so functional results never depend on timing.
export const Csr = {
  DATA: 0, //            address of the first byte of packet data
  DATA_END: 1, //        address one past the last byte
  DATA_META: 2, //       address of the metadata area before the data (equal to DATA when empty)
  PKT_LEN: 3, //         data_end - data, in bytes
  INGRESS_IFINDEX: 4, // xdp_md.ingress_ifindex
  RX_QUEUE_INDEX: 5, //  xdp_md.rx_queue_index
} as const;
export type CsrId = (typeof Csr)[keyof typeof Csr];

export const csrNames: readonly string[] = ["data", "data_end", "data_meta", "pkt_len", "ingress_ifindex", "rx_queue_index"];

export function parseCsr(name: string): CsrId | undefined {
  const id = csrNames.indexOf(name);
  return id < 0 ? undefined : (id as CsrId);
}
