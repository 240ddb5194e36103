// A small immutable builder that stacks layers outermost first and encodes them
// into one frame:
//
//   eth({ src, dst }).vlan(10).ipv4({ src, dst }).udp({ srcPort, dstPort }).payload(18).build()
//
// Lengths, next-protocol numbers and checksums are filled in from what the layers
// carry, unless a layer's options override them (to build malformed packets).
// Building writes all headers, then seals checksums from the innermost layer out,
// so an outer checksum (a VXLAN's UDP) covers the inner ones' final values.
import { PacketBuildError } from "../errors.ts";
import { arpLayer, ARP_BYTES, writeArp, type ArpOptions } from "./arp.ts";
import { ETHERNET_HEADER_BYTES, ethernetLayer, writeEthernet, type EthernetOptions } from "./ethernet.ts";
import { greHeaderLength, greLayer, sealGre, writeGre, type GreOptions } from "./gre.ts";
import { ICMP_HEADER_BYTES, icmpLayer, sealIcmp, writeIcmp, type IcmpOptions } from "./icmp.ts";
import { ipv4HeaderLength, ipv4Layer, sealIpv4, writeIpv4, type Ipv4Options } from "./ipv4.ts";
import { ipv6HeaderLength, ipv6Layer, writeIpv6, type Ipv6Options } from "./ipv6.ts";
import type { Frame, Layer, LayerKind, Placed } from "./layer.ts";
import { EtherType } from "./protocol-numbers.ts";
import { sealTcp, tcpHeaderLength, tcpLayer, writeTcp, type TcpOptions } from "./tcp.ts";
import { UDP_HEADER_BYTES, sealUdp, udpLayer, writeUdp, type UdpOptions } from "./udp.ts";
import { VLAN_TAG_BYTES, vlanLayer, writeVlan, type VlanOptions } from "./vlan.ts";
import { VXLAN_HEADER_BYTES, vxlanLayer, writeVxlan, type VxlanOptions } from "./vxlan.ts";

// Which layers may directly follow which ("start" is the first layer of a frame).
const MAY_FOLLOW: Readonly<Record<LayerKind | "start", readonly LayerKind[]>> = {
  start: ["ethernet", "ipv4", "ipv6"],
  ethernet: ["vlan", "arp", "ipv4", "ipv6", "payload"],
  vlan: ["vlan", "arp", "ipv4", "ipv6", "payload"],
  arp: ["payload"],
  ipv4: ["tcp", "udp", "icmp", "gre", "ipv4", "ipv6", "payload"],
  ipv6: ["tcp", "udp", "icmpv6", "gre", "ipv4", "ipv6", "payload"],
  tcp: ["payload"],
  udp: ["vxlan", "payload"],
  icmp: ["payload"],
  icmpv6: ["payload"],
  gre: ["ethernet", "ipv4", "ipv6", "payload"],
  vxlan: ["ethernet"],
  payload: [],
};

export class PacketBuilder {
  readonly layers: readonly Layer[];
  // Zero bytes appended after everything, outside every length field (Ethernet padding).
  readonly padToBytes: number;

  private constructor(layers: readonly Layer[], padToBytes: number) {
    this.layers = layers;
    this.padToBytes = padToBytes;
  }

  static empty(): PacketBuilder {
    return new PacketBuilder([], 0);
  }

  eth(options: EthernetOptions): PacketBuilder {
    return this.then(ethernetLayer(options));
  }

  // An IEEE 802.1Q C-tag.
  vlan(idOrOptions: number | VlanOptions): PacketBuilder {
    return this.then(vlanLayer(idOrOptions, EtherType.VLAN));
  }

  // An IEEE 802.1ad S-tag: put it before the C-tag, `eth(...).qinq(100).vlan(10)`.
  qinq(idOrOptions: number | VlanOptions): PacketBuilder {
    return this.then(vlanLayer(idOrOptions, EtherType.QINQ));
  }

  arp(options: ArpOptions): PacketBuilder {
    return this.then(arpLayer(options));
  }

  ipv4(options: Ipv4Options): PacketBuilder {
    return this.then(ipv4Layer(options));
  }

  ipv6(options: Ipv6Options): PacketBuilder {
    return this.then(ipv6Layer(options));
  }

  tcp(options: TcpOptions): PacketBuilder {
    return this.then(tcpLayer(options));
  }

  udp(options: UdpOptions): PacketBuilder {
    return this.then(udpLayer(options));
  }

  icmp(options: IcmpOptions): PacketBuilder {
    return this.then(icmpLayer(options, "icmp"));
  }

  icmpv6(options: IcmpOptions): PacketBuilder {
    return this.then(icmpLayer(options, "icmpv6"));
  }

  gre(options: GreOptions = {}): PacketBuilder {
    return this.then(greLayer(options));
  }

  vxlan(vniOrOptions: number | VxlanOptions): PacketBuilder {
    return this.then(vxlanLayer(vniOrOptions));
  }

  // `count` bytes of a fixed pattern (byte i is (first + i) mod 256), or these bytes.
  payload(countOrBytes: number | Uint8Array, first = 0): PacketBuilder {
    if (typeof countOrBytes === "number") {
      if (!Number.isInteger(countOrBytes) || countOrBytes < 0) throw new PacketBuildError("payload", `${countOrBytes} is not a byte count`);
      return this.then({ kind: "payload", bytes: undefined, length: countOrBytes, first });
    }
    return this.then({ kind: "payload", bytes: countOrBytes.slice(), length: countOrBytes.length });
  }

  // Pads the frame with zeros to at least `frameBytes` (e.g. 60, Ethernet's minimum without FCS).
  padTo(frameBytes: number): PacketBuilder {
    if (!Number.isInteger(frameBytes) || frameBytes < 0) throw new PacketBuildError("padding", `${frameBytes} is not a byte count`);
    return new PacketBuilder(this.layers, frameBytes);
  }

  // The bytes of all headers, without payload or padding.
  headerLength(): number {
    return this.layers.reduce((sum, layer) => sum + headerLengthOf(layer), 0);
  }

  build(): Uint8Array {
    if (this.layers.length === 0) throw new PacketBuildError("packet", "a packet needs at least one layer");
    const contentLength = this.layers.reduce((sum, layer) => sum + headerLengthOf(layer), 0);
    const frameLength = Math.max(contentLength, this.padToBytes);
    const bytes = new Uint8Array(frameLength);
    const placed: Placed[] = [];
    let offset = 0;
    for (const layer of this.layers) {
      const headerLength = headerLengthOf(layer);
      placed.push({ layer, offset, headerLength, end: contentLength });
      offset += headerLength;
    }
    const frame: Frame = { bytes, view: new DataView(bytes.buffer), placed };
    for (let index = 0; index < placed.length; index++) writeLayer(frame, index);
    for (let index = placed.length - 1; index >= 0; index--) sealLayer(frame, index);
    return bytes;
  }

  private then(layer: Layer): PacketBuilder {
    const previous = this.layers.at(-1)?.kind ?? "start";
    if (!MAY_FOLLOW[previous].includes(layer.kind)) {
      const allowed = MAY_FOLLOW[previous];
      const where = previous === "start" ? "a packet cannot start with it" : `it cannot follow ${previous}`;
      throw new PacketBuildError(layer.kind, `${where}${allowed.length ? ` (expected one of ${allowed.join(", ")})` : ""}`);
    }
    return new PacketBuilder([...this.layers, layer], this.padToBytes);
  }
}

export function eth(options: EthernetOptions): PacketBuilder {
  return PacketBuilder.empty().eth(options);
}

// A packet that starts at the IP header (link type RAW, IPV4 or IPV6).
export function ipv4(options: Ipv4Options): PacketBuilder {
  return PacketBuilder.empty().ipv4(options);
}

export function ipv6(options: Ipv6Options): PacketBuilder {
  return PacketBuilder.empty().ipv6(options);
}

export function patternBytes(count: number, first = 0): Uint8Array {
  const bytes = new Uint8Array(count);
  writePattern(bytes, 0, count, first);
  return bytes;
}

// 0, 1, ..., 255 twice: any 256 consecutive bytes of the pattern, whatever its first byte, are one subarray of it.
const PATTERN_CYCLE_BYTES = 256;
const PATTERN_RAMP = Uint8Array.from({ length: 2 * PATTERN_CYCLE_BYTES }, (_, i) => i & 0xff);

// The pattern (first + i) & 0xff at bytes[offset, offset + count), copied a cycle at a time.
function writePattern(bytes: Uint8Array, offset: number, count: number, first: number): void {
  const start = first & 0xff;
  for (let done = 0; done < count; done += PATTERN_CYCLE_BYTES) {
    const chunk = Math.min(PATTERN_CYCLE_BYTES, count - done);
    bytes.set(PATTERN_RAMP.subarray(start, start + chunk), offset + done);
  }
}

function headerLengthOf(layer: Layer): number {
  switch (layer.kind) {
    case "ethernet":
      return ETHERNET_HEADER_BYTES;
    case "vlan":
      return VLAN_TAG_BYTES;
    case "arp":
      return ARP_BYTES;
    case "ipv4":
      return ipv4HeaderLength(layer);
    case "ipv6":
      return ipv6HeaderLength(layer);
    case "tcp":
      return tcpHeaderLength(layer);
    case "udp":
      return UDP_HEADER_BYTES;
    case "icmp":
    case "icmpv6":
      return ICMP_HEADER_BYTES;
    case "gre":
      return greHeaderLength(layer);
    case "vxlan":
      return VXLAN_HEADER_BYTES;
    case "payload":
      return layer.length;
  }
}

function writeLayer(frame: Frame, index: number): void {
  const layer = frame.placed[index].layer;
  switch (layer.kind) {
    case "ethernet":
      return writeEthernet(frame, index);
    case "vlan":
      return writeVlan(frame, index);
    case "arp":
      return writeArp(frame, index);
    case "ipv4":
      return writeIpv4(frame, index);
    case "ipv6":
      return writeIpv6(frame, index);
    case "tcp":
      return writeTcp(frame, index);
    case "udp":
      return writeUdp(frame, index);
    case "icmp":
    case "icmpv6":
      return writeIcmp(frame, index);
    case "gre":
      return writeGre(frame, index);
    case "vxlan":
      return writeVxlan(frame, index);
    case "payload": {
      const offset = frame.placed[index].offset;
      if (layer.bytes !== undefined) frame.bytes.set(layer.bytes, offset);
      else writePattern(frame.bytes, offset, layer.length, layer.first);
      return;
    }
  }
}

function sealLayer(frame: Frame, index: number): void {
  switch (frame.placed[index].layer.kind) {
    case "ipv4":
      return sealIpv4(frame, index);
    case "tcp":
      return sealTcp(frame, index);
    case "udp":
      return sealUdp(frame, index);
    case "icmp":
    case "icmpv6":
      return sealIcmp(frame, index);
    case "gre":
      return sealGre(frame, index);
    case "ethernet":
    case "vlan":
    case "arp":
    case "ipv6":
    case "vxlan":
    case "payload":
      return;
  }
}
