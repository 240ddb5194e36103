// The layers a packet is built from, as plain normalized data (addresses
// already parsed to bytes), and the frame they are written into. Each kind's
// encoding lives in its own module (ethernet.ts, ipv4.ts, ...); builder.ts
// strings them together.
import { PacketBuildError } from "../errors.ts";
import { EtherType, IpProtocol } from "./protocol-numbers.ts";

// A checksum field: the right value (the default), a value a receiver must reject, or exactly this one.
export type ChecksumChoice = "correct" | "wrong" | number;

export interface EthernetLayer {
  readonly kind: "ethernet";
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  // Set only when nothing known follows (a raw payload).
  readonly etherType: number | undefined;
}

export interface VlanLayer {
  readonly kind: "vlan";
  // EtherType.VLAN for an 802.1Q C-tag, EtherType.QINQ for an 802.1ad S-tag.
  readonly tpid: number;
  readonly vlanId: number;
  readonly priority: number;
  readonly dropEligible: boolean;
  readonly etherType: number | undefined;
}

export interface ArpLayer {
  readonly kind: "arp";
  readonly operation: number;
  readonly senderMac: Uint8Array;
  readonly senderIp: Uint8Array;
  readonly targetMac: Uint8Array;
  readonly targetIp: Uint8Array;
}

export interface Ipv4Layer {
  readonly kind: "ipv4";
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly tos: number;
  readonly identification: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  readonly fragmentOffsetBytes: number;
  readonly ttl: number;
  // Raw option bytes, already padded to a multiple of four.
  readonly options: Uint8Array;
  readonly protocol: number | undefined;
  readonly totalLength: number | undefined;
  readonly checksum: ChecksumChoice;
}

export type Ipv6Extension =
  | { readonly kind: "hop-by-hop"; readonly options: readonly Ipv6Option[] }
  | { readonly kind: "destination-options"; readonly options: readonly Ipv6Option[] }
  | {
      readonly kind: "routing";
      readonly routingType: number;
      readonly segmentsLeft: number;
      readonly addresses: readonly Uint8Array[];
    }
  | {
      readonly kind: "fragment";
      readonly offsetBytes: number;
      readonly moreFragments: boolean;
      readonly identification: number;
    };

export interface Ipv6Option {
  readonly type: number;
  readonly data: Uint8Array;
}

export interface Ipv6Layer {
  readonly kind: "ipv6";
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly trafficClass: number;
  readonly flowLabel: number;
  readonly hopLimit: number;
  readonly extensions: readonly Ipv6Extension[];
  readonly nextHeader: number | undefined;
  readonly payloadLength: number | undefined;
}

export type TcpOption =
  | { readonly kind: "end" }
  | { readonly kind: "nop" }
  | { readonly kind: "mss"; readonly value: number }
  | { readonly kind: "window-scale"; readonly shift: number }
  | { readonly kind: "sack-permitted" }
  | { readonly kind: "sack"; readonly blocks: readonly (readonly [number, number])[] }
  | { readonly kind: "timestamps"; readonly value: number; readonly echo: number }
  | { readonly kind: "raw"; readonly type: number; readonly data: Uint8Array };

export interface TcpLayer {
  readonly kind: "tcp";
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly window: number;
  readonly urgentPointer: number;
  // Encoded option bytes, padded to a multiple of four.
  readonly options: Uint8Array;
  readonly dataOffsetWords: number | undefined;
  readonly checksum: ChecksumChoice;
}

export interface UdpLayer {
  readonly kind: "udp";
  readonly srcPort: number;
  readonly dstPort: number;
  readonly length: number | undefined;
  // "none" writes 0, which over IPv4 means the sender computed no checksum (RFC 768).
  readonly checksum: ChecksumChoice | "none";
}

export interface IcmpLayer {
  readonly kind: "icmp" | "icmpv6";
  readonly type: number;
  readonly code: number;
  // The 4 bytes after the checksum: identifier and sequence for echo messages.
  readonly restOfHeader: number;
  readonly checksum: ChecksumChoice;
}

export interface GreLayer {
  readonly kind: "gre";
  readonly withChecksum: boolean;
  readonly key: number | undefined;
  readonly sequence: number | undefined;
  readonly protocolType: number | undefined;
  readonly checksum: ChecksumChoice;
}

export interface VxlanLayer {
  readonly kind: "vxlan";
  readonly flags: number;
  readonly vni: number;
}

// Given bytes, or `length` bytes of the pattern byte i = (first + i) mod 256.
export type PayloadLayer =
  | { readonly kind: "payload"; readonly bytes: Uint8Array; readonly length: number }
  | { readonly kind: "payload"; readonly bytes: undefined; readonly length: number; readonly first: number };

export type Layer =
  | EthernetLayer
  | VlanLayer
  | ArpLayer
  | Ipv4Layer
  | Ipv6Layer
  | TcpLayer
  | UdpLayer
  | IcmpLayer
  | GreLayer
  | VxlanLayer
  | PayloadLayer;

export type LayerKind = Layer["kind"];

// A layer placed in the frame: its header at [offset, offset + headerLength),
// everything it carries up to `end`.
export interface Placed<L extends Layer = Layer> {
  readonly layer: L;
  readonly offset: number;
  readonly headerLength: number;
  readonly end: number;
}

export interface Frame {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly placed: readonly Placed[];
}

// IEEE "Local Experimental EtherType 1", for an Ethernet frame carrying a raw payload.
export const EXPERIMENTAL_ETHER_TYPE = 0x88b5;
// RFC 3692's protocol number for experimentation, for an IP packet carrying a raw payload.
export const EXPERIMENTAL_IP_PROTOCOL = 253;

// The EtherType announcing `next`, as Ethernet, VLAN tags and GRE write it.
export function etherTypeFor(next: Layer | undefined, explicit: number | undefined): number {
  if (explicit !== undefined) return explicit;
  switch (next?.kind) {
    case "vlan":
      return next.tpid;
    case "arp":
      return EtherType.ARP;
    case "ipv4":
      return EtherType.IPV4;
    case "ipv6":
      return EtherType.IPV6;
    case "ethernet":
      return EtherType.TRANSPARENT_ETHERNET;
    default:
      return EXPERIMENTAL_ETHER_TYPE;
  }
}

// The IP protocol / next-header number announcing `next`.
export function ipProtocolFor(next: Layer | undefined): number {
  switch (next?.kind) {
    case "tcp":
      return IpProtocol.TCP;
    case "udp":
      return IpProtocol.UDP;
    case "icmp":
      return IpProtocol.ICMP;
    case "icmpv6":
      return IpProtocol.ICMPV6;
    case "gre":
      return IpProtocol.GRE;
    case "ipv4":
      return IpProtocol.IPV4;
    case "ipv6":
      return IpProtocol.IPV6;
    default:
      return EXPERIMENTAL_IP_PROTOCOL;
  }
}

export function placedAt<L extends Layer>(frame: Frame, index: number): Placed<L> {
  return frame.placed[index] as Placed<L>;
}

export function nextLayer(frame: Frame, index: number): Layer | undefined {
  return frame.placed[index + 1]?.layer;
}

export function resolveChecksum(choice: ChecksumChoice, correct: number, wrong: (value: number) => number): number {
  if (choice === "correct") return correct;
  if (choice === "wrong") return wrong(correct);
  return choice & 0xffff;
}

// Checks that `value` is an integer in [0, max]; `what` names the field in the error.
export function fieldValue(value: number, max: number, layer: string, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new PacketBuildError(layer, `${what} ${value} is not an integer from 0 to ${max}`);
  }
  return value;
}
