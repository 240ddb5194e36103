// Link-layer header types of pcap/pcapng captures, the values of the tcpdump.org
// registry (https://www.tcpdump.org/linktypes.html, draft-ietf-opsawg-pcaplinktype).
// Only the ones this project writes or decodes are listed.
export const LinkType = {
  // BSD loopback: a 4-byte host-order address family, then the packet.
  NULL: 0,
  ETHERNET: 1,
  // Raw IP: the packet begins with an IPv4 or IPv6 header (version nibble decides).
  RAW: 101,
  IPV4: 228,
  IPV6: 229,
} as const;
export type LinkTypeCode = (typeof LinkType)[keyof typeof LinkType];

export function linkTypeName(linkType: number): string {
  switch (linkType) {
    case LinkType.NULL:
      return "NULL";
    case LinkType.ETHERNET:
      return "ETHERNET";
    case LinkType.RAW:
      return "RAW";
    case LinkType.IPV4:
      return "IPV4";
    case LinkType.IPV6:
      return "IPV6";
    default:
      return `linktype ${linkType}`;
  }
}
