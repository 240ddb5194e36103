// What the decoder makes of a packet: one plain record per layer it could read,
// and, if it could not read to the end, where and why it stopped. Each layer
// module decodes its own header; decode.ts chains them; describe.ts prints them.

export interface DecodedEthernet {
  readonly kind: "ethernet";
  readonly offset: number;
  readonly src: string;
  readonly dst: string;
  readonly etherType: number;
}

export interface DecodedVlan {
  readonly kind: "vlan";
  readonly offset: number;
  readonly tpid: number;
  readonly vlanId: number;
  readonly priority: number;
  readonly dropEligible: boolean;
  readonly etherType: number;
}

export interface DecodedArp {
  readonly kind: "arp";
  readonly offset: number;
  readonly operation: number;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
}

export interface DecodedIpv4 {
  readonly kind: "ipv4";
  readonly offset: number;
  readonly headerLength: number;
  readonly src: string;
  readonly dst: string;
  readonly tos: number;
  readonly totalLength: number;
  readonly identification: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  readonly fragmentOffsetBytes: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly checksum: number;
  // The checksum the header should carry, when it differs from `checksum`.
  readonly expectedChecksum: number | undefined;
  // Bytes the total length announces beyond what the frame holds.
  readonly missingBytes: number;
}

export type DecodedIpv6Extension =
  | { readonly kind: "hop-by-hop" | "destination-options"; readonly length: number }
  | { readonly kind: "routing"; readonly length: number; readonly routingType: number; readonly segmentsLeft: number }
  | {
      readonly kind: "fragment";
      readonly length: number;
      readonly offsetBytes: number;
      readonly moreFragments: boolean;
      readonly identification: number;
    };

export interface DecodedIpv6 {
  readonly kind: "ipv6";
  readonly offset: number;
  readonly src: string;
  readonly dst: string;
  readonly trafficClass: number;
  readonly flowLabel: number;
  readonly payloadLength: number;
  readonly hopLimit: number;
  readonly extensions: readonly DecodedIpv6Extension[];
  // The protocol after the extension headers.
  readonly protocol: number;
  readonly missingBytes: number;
}

// A transport checksum's verdict: right, wrong (with the right value), or not checkable
// (a fragment, or bytes missing from the capture).
export type ChecksumVerdict =
  | { readonly kind: "ok" }
  | { readonly kind: "bad"; readonly expected: number }
  | { readonly kind: "absent" }
  | { readonly kind: "unchecked" };

export interface DecodedTcp {
  readonly kind: "tcp";
  readonly offset: number;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly headerLength: number;
  readonly flags: number;
  readonly window: number;
  readonly checksum: number;
  readonly checksumVerdict: ChecksumVerdict;
  readonly urgentPointer: number;
  readonly options: readonly string[];
  readonly payloadLength: number;
}

export interface DecodedUdp {
  readonly kind: "udp";
  readonly offset: number;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly length: number;
  readonly checksum: number;
  readonly checksumVerdict: ChecksumVerdict;
}

export interface DecodedIcmp {
  readonly kind: "icmp" | "icmpv6";
  readonly offset: number;
  readonly type: number;
  readonly code: number;
  readonly checksum: number;
  readonly checksumVerdict: ChecksumVerdict;
  readonly restOfHeader: number;
}

export interface DecodedGre {
  readonly kind: "gre";
  readonly offset: number;
  readonly version: number;
  readonly protocolType: number;
  readonly key: number | undefined;
  readonly sequence: number | undefined;
  readonly checksumVerdict: ChecksumVerdict;
}

export interface DecodedVxlan {
  readonly kind: "vxlan";
  readonly offset: number;
  readonly flags: number;
  readonly vni: number;
}

export interface DecodedPayload {
  readonly kind: "payload";
  readonly offset: number;
  readonly length: number;
  // Why the bytes were not decoded further, e.g. "EtherType 0x88b5".
  readonly carrier: string | undefined;
}

export type DecodedLayer =
  | DecodedEthernet
  | DecodedVlan
  | DecodedArp
  | DecodedIpv4
  | DecodedIpv6
  | DecodedTcp
  | DecodedUdp
  | DecodedIcmp
  | DecodedGre
  | DecodedVxlan
  | DecodedPayload;

export interface DecodeStop {
  readonly offset: number;
  readonly reason: string;
}

export interface DecodedPacket {
  readonly layers: readonly DecodedLayer[];
  // Bytes after the outermost network layer's announced end (Ethernet padding, an FCS...).
  readonly trailerLength: number;
  readonly stop: DecodeStop | undefined;
}

// What a layer's decoder hands back: its record and what to decode next, where.
export type NextKind = "ethernet" | "vlan" | "arp" | "ipv4" | "ipv6" | "tcp" | "udp" | "icmp" | "icmpv6" | "gre" | "vxlan";

export type DecodeStep<D extends DecodedLayer> =
  | {
      readonly ok: true;
      readonly layer: D;
      // undefined: the rest up to `end` is payload; `carrier` says why.
      readonly next: NextKind | undefined;
      readonly carrier?: string;
      readonly nextOffset: number;
      // Where this layer's content ends (a length field may end it before the frame does).
      readonly end: number;
    }
  | { readonly ok: false; readonly reason: string };

export function needBytes(what: string, needed: number, offset: number, end: number): { ok: false; reason: string } | undefined {
  const present = Math.max(0, end - offset);
  return present < needed ? { ok: false, reason: `${what} needs ${needed} bytes, ${present} present` } : undefined;
}

// The network layer around a transport header, for its checksum's pseudo-header.
export interface EnclosingIp {
  readonly version: 4 | 6;
  readonly src: Uint8Array;
  // For IPv6 with a routing header, the final destination (RFC 8200 section 8.1).
  readonly dst: Uint8Array;
  // A fragment's transport checksum covers bytes this packet does not hold.
  readonly fragment: boolean;
}
