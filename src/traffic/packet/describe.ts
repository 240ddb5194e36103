// One line per packet, layer by layer, for people (show, counterexamples):
//   Ethernet 02:00:00:00:00:01 > 02:00:00:00:00:02 / IPv4 10.0.0.1 > 10.0.0.2 ttl 64 / UDP 1234 > 80 len 26 / payload 18 bytes
import type { CapturedPacket } from "../captured-packet.ts";
import { LinkType } from "../link-type.ts";
import { describeArp } from "./arp.ts";
import { decodePacket } from "./decode.ts";
import type { DecodedLayer, DecodedPacket } from "./decoded.ts";
import { describeEthernet } from "./ethernet.ts";
import { describeGre } from "./gre.ts";
import { describeIcmp } from "./icmp.ts";
import { describeIpv4 } from "./ipv4.ts";
import { describeIpv6 } from "./ipv6.ts";
import { describeTcp } from "./tcp.ts";
import { describeUdp } from "./udp.ts";
import { describeVlan } from "./vlan.ts";
import { describeVxlan } from "./vxlan.ts";

export function describeLayer(layer: DecodedLayer, frameLength: number): string {
  switch (layer.kind) {
    case "ethernet":
      return describeEthernet(layer);
    case "vlan":
      return describeVlan(layer);
    case "arp":
      return describeArp(layer);
    case "ipv4":
      return describeIpv4(layer);
    case "ipv6":
      return describeIpv6(layer);
    case "tcp":
      return describeTcp(layer);
    case "udp":
      return describeUdp(layer, frameLength - layer.offset);
    case "icmp":
    case "icmpv6":
      return describeIcmp(layer);
    case "gre":
      return describeGre(layer);
    case "vxlan":
      return describeVxlan(layer);
    case "payload":
      return `payload ${layer.length} bytes${layer.carrier ? ` (${layer.carrier})` : ""}`;
  }
}

export function describeDecoded(decoded: DecodedPacket, frameLength: number): string {
  const parts = decoded.layers.map((layer) => describeLayer(layer, frameLength));
  if (decoded.trailerLength > 0) parts.push(`trailer ${decoded.trailerLength} bytes`);
  if (decoded.stop !== undefined) parts.push(`[stopped at byte ${decoded.stop.offset}: ${decoded.stop.reason}]`);
  return parts.length > 0 ? parts.join(" / ") : "empty frame";
}

// Describes raw bytes (Ethernet unless told otherwise) or a captured packet (its
// link type, and a note when the capture holds fewer bytes than the packet had).
export function describePacket(packet: Uint8Array | CapturedPacket, linkType: number = LinkType.ETHERNET): string {
  if (packet instanceof Uint8Array) return describeDecoded(decodePacket(packet, linkType), packet.length);
  const text = describeDecoded(decodePacket(packet.data, packet.linkType), packet.data.length);
  return packet.data.length < packet.originalLength ? `${text} [captured ${packet.data.length} of ${packet.originalLength} bytes]` : text;
}
