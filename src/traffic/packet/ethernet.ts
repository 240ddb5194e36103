// Ethernet II header (IEEE 802.3 with an EtherType, RFC 894): destination MAC,
// source MAC, EtherType, 14 bytes; the FCS is not part of captured frames.
import { formatMac, parseMac, type AddressInput } from "./address.ts";
import { needBytes, type DecodeStep, type DecodedEthernet, type NextKind } from "./decoded.ts";
import { etherTypeFor, fieldValue, nextLayer, placedAt, type EthernetLayer, type Frame } from "./layer.ts";
import { EtherType } from "./protocol-numbers.ts";

export const ETHERNET_HEADER_BYTES = 14;

export interface EthernetOptions {
  readonly src: AddressInput;
  readonly dst: AddressInput;
  // Only needed when a raw payload follows; otherwise derived from the next layer.
  readonly etherType?: number;
}

export function ethernetLayer(options: EthernetOptions): EthernetLayer {
  return {
    kind: "ethernet",
    src: parseMac(options.src, "Ethernet source"),
    dst: parseMac(options.dst, "Ethernet destination"),
    etherType: options.etherType === undefined ? undefined : fieldValue(options.etherType, 0xffff, "Ethernet", "EtherType"),
  };
}

export function writeEthernet(frame: Frame, index: number): void {
  const { layer, offset } = placedAt<EthernetLayer>(frame, index);
  frame.bytes.set(layer.dst, offset);
  frame.bytes.set(layer.src, offset + 6);
  frame.view.setUint16(offset + 12, etherTypeFor(nextLayer(frame, index), layer.etherType));
}

export function decodeEthernet(bytes: Uint8Array, offset: number, end: number): DecodeStep<DecodedEthernet> {
  const short = needBytes("Ethernet header", ETHERNET_HEADER_BYTES, offset, end);
  if (short) return short;
  const etherType = (bytes[offset + 12] << 8) | bytes[offset + 13];
  return {
    ok: true,
    layer: { kind: "ethernet", offset, dst: formatMac(bytes, offset), src: formatMac(bytes, offset + 6), etherType },
    ...afterEtherType(etherType),
    nextOffset: offset + ETHERNET_HEADER_BYTES,
    end,
  };
}

export function describeEthernet(decoded: DecodedEthernet): string {
  return `Ethernet ${decoded.src} > ${decoded.dst}`;
}

// What an EtherType announces; an unknown one leaves the rest as payload.
export function afterEtherType(etherType: number): { next: NextKind | undefined; carrier?: string } {
  switch (etherType) {
    case EtherType.IPV4:
      return { next: "ipv4" };
    case EtherType.IPV6:
      return { next: "ipv6" };
    case EtherType.ARP:
      return { next: "arp" };
    case EtherType.VLAN:
    case EtherType.QINQ:
      return { next: "vlan" };
    case EtherType.TRANSPARENT_ETHERNET:
      return { next: "ethernet" };
    default:
      return { next: undefined, carrier: `EtherType 0x${etherType.toString(16).padStart(4, "0")}` };
  }
}
