// Link-layer header types of pcap/pcapng captures, the values of the tcpdump.org
// registry (https://www.tcpdump.org/linktypes.html, draft-ietf-opsawg-pcaplinktype).
// Only the ones this project writes, decodes, converts or names in messages are listed.
export const LinkType = {
  // BSD loopback: a 4-byte address family in the capturing host's byte order, then the packet.
  NULL: 0,
  ETHERNET: 1,
  PPP: 9,
  // Raw IP: the packet begins with an IPv4 or IPv6 header (version nibble decides).
  RAW: 101,
  IEEE802_11: 105,
  // OpenBSD loopback: as NULL, but the address family is in network byte order.
  LOOP: 108,
  // Linux "cooked" capture (tcpdump -i any): a 16-byte header ending in the protocol type.
  LINUX_SLL: 113,
  IEEE802_11_RADIOTAP: 127,
  IPV4: 228,
  IPV6: 229,
  // Linux cooked capture v2: a 20-byte header starting with the protocol type.
  LINUX_SLL2: 276,
} as const;
export type LinkTypeCode = (typeof LinkType)[keyof typeof LinkType];

const NAMES = new Map<number, string>(Object.entries(LinkType).map(([name, code]) => [code, name]));

// "LINUX_SLL2" for a listed type, "linktype 147" for any other.
export function linkTypeName(linkType: number): string {
  return NAMES.get(linkType) ?? `linktype ${linkType}`;
}
