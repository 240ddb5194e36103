// One packet as a capture holds it: the bytes that were captured, the length the
// packet had on the wire, when it was seen and on which link. A capture whose
// snapshot length cut the packet short has `data.length < originalLength`.
export interface CapturedPacket {
  // Nanoseconds since 1970-01-01 00:00:00 UTC (captures with a finer resolution are rounded down).
  readonly timestampNs: bigint;
  // The captured bytes; their count is the captured length.
  readonly data: Uint8Array;
  // The packet's length on the wire, at least data.length.
  readonly originalLength: number;
  // The link-layer header type (LinkType in link-type.ts).
  readonly linkType: number;
  // The pcapng interface within its section; 0 for pcap.
  readonly interfaceId: number;
  // The pcapng section (0 for the first, and for pcap).
  readonly sectionIndex: number;
}

export function isTruncatedCapture(packet: CapturedPacket): boolean {
  return packet.data.length < packet.originalLength;
}
