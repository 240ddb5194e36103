// The numbers that say which header comes next: EtherTypes (IEEE registry,
// as used by RFC 894, RFC 826, RFC 8200, IEEE 802.1Q) and IP protocol numbers
// (IANA "Assigned Internet Protocol Numbers"). Builders and the decoder both read these.

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  // IEEE 802.1Q customer VLAN tag (C-tag).
  VLAN: 0x8100,
  // IEEE 802.1ad service VLAN tag (S-tag), the outer tag of QinQ.
  QINQ: 0x88a8,
  IPV6: 0x86dd,
  // Transparent Ethernet Bridging: an Ethernet frame carried by GRE (RFC 1701).
  TRANSPARENT_ETHERNET: 0x6558,
} as const;

export const IpProtocol = {
  HOP_BY_HOP: 0,
  ICMP: 1,
  // IPv4 in IP (RFC 2003).
  IPV4: 4,
  TCP: 6,
  UDP: 17,
  // IPv6 in IP (RFC 2473, RFC 4213).
  IPV6: 41,
  ROUTING: 43,
  FRAGMENT: 44,
  GRE: 47,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  NO_NEXT_HEADER: 59,
  DESTINATION_OPTIONS: 60,
} as const;

// IANA's port for VXLAN (RFC 7348 section 5).
export const VXLAN_UDP_PORT = 4789;
