// The link-layer headers of captures that are not Ethernet but carry what an
// Ethernet frame carries: Linux cooked captures (SLL, SLL2), raw IP and BSD
// loopback. Reading one says how long it is, which EtherType the packet after
// it has, and what it knows of the link addresses. Both the decoder and the
// conversion to Ethernet frames (xdp-frame.ts) read link headers here.
import { LinkType } from "../link-type.ts";
import { MAC_BYTES } from "./address.ts";
import { EtherType } from "./protocol-numbers.ts";

// LINKTYPE_LINUX_SLL (tcpdump.org linktypes/LINKTYPE_LINUX_SLL.html): packet type (2),
// ARPHRD type (2), address length (2), address (8, zero padded), protocol type (2).
const SLL = { headerBytes: 16, packetTypeAt: 0, arphrdAt: 2, addressLengthAt: 4, addressAt: 6, protocolAt: 14 } as const;
// LINKTYPE_LINUX_SLL2 (linktypes/LINKTYPE_LINUX_SLL2.html): protocol type (2), reserved (2),
// interface index (4), ARPHRD type (2), packet type (1), address length (1), address (8).
const SLL2 = { headerBytes: 20, protocolAt: 0, arphrdAt: 8, packetTypeAt: 10, addressLengthAt: 11, addressAt: 12 } as const;
// BSD loopback (NULL, LOOP): a 4-byte address family.
const LOOPBACK_HEADER_BYTES = 4;
const BSD_AF_INET = 2;
// AF_INET6 differs between BSDs (24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS); any of them means IPv6.
const BSD_AF_INET6: readonly number[] = [24, 28, 30];

// linux/if_packet.h: the packet type of a cooked header.
export const PacketType = { HOST: 0, BROADCAST: 1, MULTICAST: 2, OTHERHOST: 3, OUTGOING: 4 } as const;
// linux/if_arp.h: devices whose cooked-header address is an Ethernet MAC.
const ARPHRD_ETHER = 1;
const ARPHRD_LOOPBACK = 772;
// linux/if_ether.h: protocol values below ETH_P_802_3_MIN are not EtherTypes; these two
// mean an IEEE 802.3 frame (Novell "raw" 802.3, or 802.2 LLC) follows.
const ETH_P_802_3_MIN = 0x0600;
const ETH_P_802_3 = 0x0001;
const ETH_P_802_2 = 0x0004;

// What an Ethernet frame would carry in its type/length field for this packet.
export type LinkProtocol =
  | { readonly kind: "ethertype"; readonly etherType: number }
  // An IEEE 802.3 frame: the field is the payload's length (LLC or Novell raw payload).
  | { readonly kind: "length" };

export type LinkHeader =
  | {
      readonly ok: true;
      readonly headerBytes: number;
      readonly protocol: LinkProtocol;
      // The sender's MAC, when the capture recorded one of an Ethernet-like device.
      readonly senderMac: Uint8Array | undefined;
      // A cooked header's packet type (PacketType); undefined for the other link types.
      readonly packetType: number | undefined;
    }
  | { readonly ok: false; readonly reason: string };

// Ethernet, and the link types readLinkHeader turns into what an Ethernet frame carries.
export const ETHERNET_COMPATIBLE_LINK_TYPES: readonly number[] = [
  LinkType.ETHERNET,
  LinkType.LINUX_SLL,
  LinkType.LINUX_SLL2,
  LinkType.RAW,
  LinkType.IPV4,
  LinkType.IPV6,
  LinkType.NULL,
  LinkType.LOOP,
];

export function isEthernetCompatible(linkType: number): boolean {
  return ETHERNET_COMPATIBLE_LINK_TYPES.includes(linkType);
}

// Reads the link header of a packet whose link type isEthernetCompatible (and not Ethernet).
export function readLinkHeader(bytes: Uint8Array, linkType: number): LinkHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  switch (linkType) {
    case LinkType.LINUX_SLL:
    case LinkType.LINUX_SLL2: {
      const layout = linkType === LinkType.LINUX_SLL ? SLL : SLL2;
      const name = linkType === LinkType.LINUX_SLL ? "SLL" : "SLL2";
      if (bytes.length < layout.headerBytes) return { ok: false, reason: `${name} header needs ${layout.headerBytes} bytes, ${bytes.length} present` };
      const protocol = cookedProtocol(view.getUint16(layout.protocolAt));
      if (protocol === undefined) {
        return { ok: false, reason: `${name} protocol 0x${hex4(view.getUint16(layout.protocolAt))} is not something Ethernet carries` };
      }
      const arphrd = view.getUint16(layout.arphrdAt);
      const addressLength = linkType === LinkType.LINUX_SLL ? view.getUint16(layout.addressLengthAt) : view.getUint8(layout.addressLengthAt);
      const ethernetLike = (arphrd === ARPHRD_ETHER || arphrd === ARPHRD_LOOPBACK) && addressLength === MAC_BYTES;
      return {
        ok: true,
        headerBytes: layout.headerBytes,
        protocol,
        senderMac: ethernetLike ? bytes.slice(layout.addressAt, layout.addressAt + MAC_BYTES) : undefined,
        packetType: linkType === LinkType.LINUX_SLL ? view.getUint16(layout.packetTypeAt) : view.getUint8(layout.packetTypeAt),
      };
    }
    case LinkType.RAW:
      return ipHeader(bytes, 0);
    case LinkType.IPV4:
      return network(0, EtherType.IPV4);
    case LinkType.IPV6:
      return network(0, EtherType.IPV6);
    case LinkType.NULL:
    case LinkType.LOOP: {
      if (bytes.length < LOOPBACK_HEADER_BYTES) return { ok: false, reason: `loopback header needs ${LOOPBACK_HEADER_BYTES} bytes, ${bytes.length} present` };
      // NULL's family is in the capturing host's byte order, which the file does not say: either order is taken.
      const orders = linkType === LinkType.LOOP ? [false] : [true, false];
      for (const little of orders) {
        const family = view.getUint32(0, little);
        if (family === BSD_AF_INET) return network(LOOPBACK_HEADER_BYTES, EtherType.IPV4);
        if (BSD_AF_INET6.includes(family)) return network(LOOPBACK_HEADER_BYTES, EtherType.IPV6);
      }
      return { ok: false, reason: `loopback address family ${view.getUint32(0, linkType === LinkType.NULL)} is neither IPv4 nor IPv6` };
    }
    default:
      return { ok: false, reason: `link type ${linkType} has no Ethernet equivalent` };
  }
}

function cookedProtocol(value: number): LinkProtocol | undefined {
  if (value >= ETH_P_802_3_MIN) return { kind: "ethertype", etherType: value };
  if (value === ETH_P_802_3 || value === ETH_P_802_2) return { kind: "length" };
  return undefined;
}

// Raw IP: the version nibble says which.
function ipHeader(bytes: Uint8Array, offset: number): LinkHeader {
  if (offset >= bytes.length) return { ok: false, reason: "raw IP packet is empty" };
  const version = bytes[offset] >> 4;
  if (version === 4) return network(offset, EtherType.IPV4);
  if (version === 6) return network(offset, EtherType.IPV6);
  return { ok: false, reason: `raw IP packet has version ${version}` };
}

function network(headerBytes: number, etherType: number): LinkHeader {
  return { ok: true, headerBytes, protocol: { kind: "ethertype", etherType }, senderMac: undefined, packetType: undefined };
}

function hex4(value: number): string {
  return value.toString(16).padStart(4, "0");
}
