// Synthetic traffic from a spec (traffic-spec.ts): a re-iterable, seeded
// stream of Ethernet frames with line-rate timestamps. Nothing is kept per
// packet, and at most 16,384 flows, so ten million packets cost no
// more memory than ten.
//
// Each packet, in this order of random draws: SYN flood or not; frame size;
// flow (uniform or Zipf over the flows; the flood aims at flow 0's destination);
// malformed or not, and how. Its timestamp is when it starts on the wire if
// every frame before it was sent back to back at the line rate (wire-time.ts).
import { NANOSECONDS_PER_SECOND } from "../capture/pcap-format.ts";
import type { CapturedPacket } from "../captured-packet.ts";
import { LinkType } from "../link-type.ts";
import { PacketBuilder, eth } from "../packet/builder.ts";
import { parseMac } from "../packet/address.ts";
import { ETHERNET_HEADER_BYTES } from "../packet/ethernet.ts";
import { IcmpType, Icmpv6Type } from "../packet/icmp.ts";
import { IPV6_HEADER_BYTES } from "../packet/ipv6.ts";
import type { ChecksumChoice } from "../packet/layer.ts";
import { TCP_MIN_HEADER_BYTES } from "../packet/tcp.ts";
import { VLAN_TAG_BYTES } from "../packet/vlan.ts";
import { flowAt, type Flow } from "./flows.ts";
import { Prng } from "./prng.ts";
import { FlowTemplate } from "./flow-template.ts";
import { MAX_GENERATED_FRAME_BYTES, drawFrameBytes, largestFrameBytes } from "./size-distribution.ts";
import { parseTrafficSpec, type TrafficSpec } from "./traffic-spec.ts";
import { FCS_BYTES, MIN_FRAME_BYTES, wireBits } from "./wire-time.ts";
import { ZipfSampler } from "./zipf.ts";

export type Malformation = "truncated" | "bad-length" | "bad-checksum";
export const MALFORMATIONS: readonly Malformation[] = ["truncated", "bad-length", "bad-checksum"];

export interface GeneratedPacket extends CapturedPacket {
  // 0 for the first packet generated.
  readonly index: number;
  // The flow it belongs to; undefined for a SYN-flood packet.
  readonly flowIndex: number | undefined;
  readonly synFlood: boolean;
  readonly malformation: Malformation | undefined;
}

export interface GenerateOptions {
  // Override the spec's count= and seed=.
  readonly packets?: number;
  readonly seed?: bigint | number;
  // The first packet's timestamp.
  readonly startNs?: bigint;
}

export const DEFAULT_PACKET_COUNT = 1000;
export const DEFAULT_SEED = 1n;
// Locally administered unicast MACs (IEEE 802: second-lowest bit of the first octet set).
export const GENERATOR_SOURCE_MAC = "02:00:00:00:00:01";
export const GENERATOR_DESTINATION_MAC = "02:00:00:00:00:02";
const LINK = { src: parseMac(GENERATOR_SOURCE_MAC), dst: parseMac(GENERATOR_DESTINATION_MAC) };
// Builders are immutable: every frame starts from this one Ethernet layer.
const LINK_LAYER = eth(LINK);
const TTL = 64;
const HOP_LIMIT = 64;
// A SYN flood's frames are minimum-size: the headers, padded to 60 captured bytes.
const MIN_CAPTURED_FRAME_BYTES = MIN_FRAME_BYTES - FCS_BYTES;
// The longest headers a generated frame has: Ethernet, a VLAN tag, IPv6, TCP without options.
const LARGEST_HEADER_BYTES = ETHERNET_HEADER_BYTES + VLAN_TAG_BYTES + IPV6_HEADER_BYTES + TCP_MIN_HEADER_BYTES;
const EPHEMERAL_PORT_BASE = 49152;
const EPHEMERAL_PORT_COUNT = 16384;
// IPv4 first octets for spoofed SYN sources: 1-223 (unicast classes A-C), without 127 (loopback).
const SPOOFED_FIRST_OCTETS = 222;
const LOOPBACK_FIRST_OCTET = 127;
// A "too long" length field claims up to this many bytes more than the packet has.
const MAX_LENGTH_EXCESS = 256;
const TWO_POW_32 = 0x1_0000_0000;
// Flows remembered, direct-mapped by index: a flow is a pure function of its index, so this only saves
// rebuilding the ones drawn again, and memory stays bounded however many flows the spec has.
const FLOW_CACHE_SLOTS = 16_384;

export function generateTraffic(specOrText: TrafficSpec | string, options: GenerateOptions = {}): Iterable<GeneratedPacket> {
  const spec = typeof specOrText === "string" ? parseTrafficSpec(specOrText) : specOrText;
  return {
    [Symbol.iterator]: () => packets(spec, options),
  };
}

function* packets(spec: TrafficSpec, options: GenerateOptions): Generator<GeneratedPacket> {
  const cursor = new TrafficCursor(spec, options);
  const scratch = new Uint8Array(cursor.maxFrameBytes);
  for (let length = cursor.next(scratch); length >= 0; length = cursor.next(scratch)) {
    yield {
      index: cursor.index,
      timestampNs: cursor.timestampNs(),
      data: scratch.slice(0, length),
      originalLength: length,
      linkType: LinkType.ETHERNET,
      interfaceId: 0,
      sectionIndex: 0,
      flowIndex: cursor.flowIndex,
      synFlood: cursor.synFlood,
      malformation: cursor.malformation,
    };
  }
}

// Wire bits summed as a plain number up to here, then carried into a bigint: exact, and no bigint per packet.
const WIRE_BITS_CARRY = 2 ** 52;

// The generator one packet at a time, each frame written into a buffer the caller owns (and may reuse):
// generateTraffic's packets without an array or object per packet. The fields describe the packet last written.
export class TrafficCursor {
  readonly packetCount: number;
  // The largest frame next() writes: the buffer it is given must hold this many bytes.
  readonly maxFrameBytes: number;
  index = -1;
  flowIndex: number | undefined = undefined;
  synFlood = false;
  malformation: Malformation | undefined = undefined;
  private readonly prng: Prng;
  private readonly seedKey: number;
  private readonly zipf: ZipfSampler | undefined;
  private readonly rate: bigint;
  private readonly startNs: bigint;
  private readonly victim: Flow;
  private readonly templates = new Array<FlowTemplate | undefined>(FLOW_CACHE_SLOTS).fill(undefined);
  // Wire bits of the packets before the next one (wireBitsLow + wireBitsHigh), and before the one last written.
  private wireBitsLow = 0;
  private wireBitsHigh = 0n;
  private lastBitsLow = 0;
  private lastBitsHigh = 0n;

  constructor(
    private readonly spec: TrafficSpec,
    options: GenerateOptions = {},
  ) {
    this.packetCount = options.packets ?? spec.packetCount ?? DEFAULT_PACKET_COUNT;
    this.prng = new Prng(BigInt(options.seed ?? spec.seed ?? DEFAULT_SEED));
    this.startNs = options.startNs ?? 0n;
    this.seedKey = this.prng.nextUint32();
    this.zipf = spec.popularity.kind === "zipf" ? new ZipfSampler(spec.flowCount, spec.popularity.exponent) : undefined;
    this.rate = BigInt(spec.rateBitsPerSecond);
    this.victim = flowAt(spec, this.seedKey, 0);
    this.maxFrameBytes = Math.max(largestFrameBytes(spec.size) - FCS_BYTES, LARGEST_HEADER_BYTES, MIN_CAPTURED_FRAME_BYTES);
  }

  // Writes the next packet's frame into `into` and returns its length; -1 when all packets were written.
  next(into: Uint8Array): number {
    if (this.index + 1 >= this.packetCount) return -1;
    const index = ++this.index;
    const { spec, prng } = this;
    const synFlood = spec.synFloodShare > 0 && prng.nextFloat() < spec.synFloodShare;
    const frameBytes = synFlood ? MIN_FRAME_BYTES : drawFrameBytes(spec.size, prng);
    const flowIndex = synFlood ? undefined : this.zipf !== undefined ? this.zipf.sample(prng) - 1 : prng.nextBelow(spec.flowCount);
    const malformation = spec.malformedShare > 0 && prng.nextFloat() < spec.malformedShare ? MALFORMATIONS[prng.nextBelow(MALFORMATIONS.length)] : undefined;
    const length =
      flowIndex === undefined ? copyInto(into, synFloodFrame(this.victim, prng, malformation)) : this.flowFrame(into, this.templateOf(flowIndex), frameBytes, index, malformation);
    this.synFlood = synFlood;
    this.flowIndex = flowIndex;
    this.malformation = malformation;
    this.lastBitsLow = this.wireBitsLow;
    this.lastBitsHigh = this.wireBitsHigh;
    this.wireBitsLow += wireBits(length);
    if (this.wireBitsLow >= WIRE_BITS_CARRY) {
      this.wireBitsHigh += BigInt(this.wireBitsLow);
      this.wireBitsLow = 0;
    }
    return length;
  }

  // When the packet last written starts on the wire, if every frame before it was sent back to back at the spec's rate.
  timestampNs(): bigint {
    return this.startNs + ((this.lastBitsHigh + BigInt(this.lastBitsLow)) * NANOSECONDS_PER_SECOND) / this.rate;
  }

  // Flows remembered direct-mapped by index (a flow is a pure function of its index), with their frame templates.
  private templateOf(flowIndex: number): FlowTemplate {
    const slot = flowIndex % FLOW_CACHE_SLOTS;
    const known = this.templates[slot];
    if (known !== undefined && known.flow.index === flowIndex) return known;
    const flow = flowAt(this.spec, this.seedKey, flowIndex);
    const template = new FlowTemplate(flow, flowBuilder(flow, 0, {}), linkHeaderBytes(flow));
    this.templates[slot] = template;
    return template;
  }

  private flowFrame(into: Uint8Array, template: FlowTemplate, frameBytes: number, index: number, malformation: Malformation | undefined): number {
    const flow = template.flow;
    const prng = this.prng;
    if (malformation === undefined || malformation === "truncated") {
      const capturedBytes = Math.max(frameBytes - FCS_BYTES, template.headerBytes);
      if (capturedBytes > into.length) throw new RangeError(`a ${capturedBytes}-byte frame does not fit a ${into.length}-byte buffer`);
      const length = template.write(into, index, capturedBytes - template.headerBytes, tcpSequence(flow, index));
      return malformation === "truncated" ? truncatedLength(linkHeaderBytes(flow), length, prng) : length;
    }
    const capturedBytes = Math.max(frameBytes - FCS_BYTES, template.headerBytes);
    const builder = flowBuilder(flow, index, malformed(malformation, flow, capturedBytes, prng));
    return copyInto(into, builder.payload(capturedBytes - template.headerBytes, index).build());
  }
}

function copyInto(into: Uint8Array, frame: Uint8Array): number {
  if (frame.length > into.length) throw new RangeError(`a ${frame.length}-byte frame does not fit a ${into.length}-byte buffer`);
  into.set(frame, 0);
  return frame.length;
}

interface Overrides {
  readonly ipLength?: number;
  readonly ipChecksum?: ChecksumChoice;
  readonly transportChecksum?: ChecksumChoice;
}

function flowBuilder(flow: Flow, index: number, overrides: Overrides): PacketBuilder {
  const network = networkLayer(LINK_LAYER, flow, index, overrides);
  const checksum = overrides.transportChecksum ?? "correct";
  switch (flow.protocol) {
    case "udp":
      return network.udp({ srcPort: flow.srcPort, dstPort: flow.dstPort, checksum });
    case "tcp":
      return network.tcp({ srcPort: flow.srcPort, dstPort: flow.dstPort, seq: tcpSequence(flow, index), ack: flow.tcpAck, flags: "PA", checksum });
    case "icmp": {
      const echo = { identifier: flow.icmpIdentifier, sequence: index & 0xffff, checksum };
      return flow.ipVersion === 4 ? network.icmp({ type: IcmpType.ECHO_REQUEST, ...echo }) : network.icmpv6({ type: Icmpv6Type.ECHO_REQUEST, ...echo });
    }
  }
}

// Sequence numbers grow with the packet index by more than any segment's length, so a flow's
// segments never overlap (as a retransmission with other data would) until they wrap around 2^32.
function tcpSequence(flow: Flow, index: number): number {
  return (flow.tcpSeq + ((index * MAX_GENERATED_FRAME_BYTES) % TWO_POW_32)) % TWO_POW_32;
}

function networkLayer(link: PacketBuilder, flow: { ipVersion: 4 | 6; vlanId: number | undefined; src: Uint8Array; dst: Uint8Array }, index: number, overrides: Overrides): PacketBuilder {
  const tagged = flow.vlanId === undefined ? link : link.vlan(flow.vlanId);
  return flow.ipVersion === 4
    ? tagged.ipv4({
        src: flow.src,
        dst: flow.dst,
        ttl: TTL,
        identification: index & 0xffff,
        totalLength: overrides.ipLength,
        checksum: overrides.ipChecksum,
      })
    : tagged.ipv6({ src: flow.src, dst: flow.dst, hopLimit: HOP_LIMIT, payloadLength: overrides.ipLength });
}

// A length field or checksum that lies; the truncation is applied after building.
function malformed(kind: "bad-length" | "bad-checksum", flow: Flow, capturedBytes: number, prng: Prng): Overrides {
  if (kind === "bad-checksum") {
    // IPv6 has no header checksum; for IPv4 pick the header's or the transport's.
    return flow.ipVersion === 4 && prng.nextBelow(2) === 0 ? { ipChecksum: "wrong" } : { transportChecksum: "wrong" };
  }
  const linkBytes = linkHeaderBytes(flow);
  const trueLength = capturedBytes - linkBytes - (flow.ipVersion === 6 ? IPV6_HEADER_BYTES : 0);
  const tooLong = prng.nextBelow(2) === 0 || trueLength === 0;
  const ipLength = tooLong ? Math.min(0xffff, trueLength + 1 + prng.nextBelow(MAX_LENGTH_EXCESS)) : prng.nextBelow(trueLength);
  return { ipLength: ipLength === trueLength ? trueLength - 1 : ipLength };
}

function linkHeaderBytes(flow: { vlanId: number | undefined }): number {
  return ETHERNET_HEADER_BYTES + (flow.vlanId === undefined ? 0 : VLAN_TAG_BYTES);
}

// Cuts the frame after its link-layer header and before the end of the IP packet (padding after it would hide the cut).
function truncatedLength(linkBytes: number, ipPacketEnd: number, prng: Prng): number {
  return prng.nextInRange(linkBytes + 1, ipPacketEnd - 1);
}

function truncate(frame: Uint8Array, linkBytes: number, ipPacketEnd: number, prng: Prng): Uint8Array {
  return frame.slice(0, truncatedLength(linkBytes, ipPacketEnd, prng));
}

function synFloodFrame(victim: Flow, prng: Prng, malformation: Malformation | undefined): Uint8Array {
  const src = victim.ipVersion === 4 ? spoofedIpv4(prng) : spoofedIpv6(prng);
  const flood = { ipVersion: victim.ipVersion, vlanId: victim.vlanId, src, dst: victim.dst };
  const srcPort = EPHEMERAL_PORT_BASE + prng.nextBelow(EPHEMERAL_PORT_COUNT);
  const seq = prng.nextUint32();
  const build = (overrides: Overrides): PacketBuilder =>
    networkLayer(LINK_LAYER, flood, 0, overrides)
      .tcp({ srcPort, dstPort: victim.dstPort, seq, flags: "S", checksum: overrides.transportChecksum ?? "correct" })
      .padTo(MIN_CAPTURED_FRAME_BYTES);
  if (malformation === undefined) return build({}).build();
  const headerBytes = build({}).headerLength();
  if (malformation === "truncated") return truncate(build({}).build(), linkHeaderBytes(flood), headerBytes, prng);
  return build(malformed(malformation, { ...victim, ...flood }, headerBytes, prng)).build();
}

function spoofedIpv4(prng: Prng): Uint8Array {
  const first = 1 + prng.nextBelow(SPOOFED_FIRST_OCTETS);
  const rest = prng.nextUint32();
  return Uint8Array.of(first >= LOOPBACK_FIRST_OCTET ? first + 1 : first, (rest >>> 16) & 0xff, (rest >>> 8) & 0xff, rest & 0xff);
}

// Global unicast 2000::/3 with random low bits.
function spoofedIpv6(prng: Prng): Uint8Array {
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i += 4) new DataView(bytes.buffer).setUint32(i, prng.nextUint32());
  bytes[0] = 0x20 | (bytes[0] & 0x1f);
  return bytes;
}
