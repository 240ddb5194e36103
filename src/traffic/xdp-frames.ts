// What an XDP program sees of a captured packet: an Ethernet frame as long as
// the packet was on the wire. Every command that runs a program on a capture
// (run, kernel-check, exec) turns packets into frames here, and only here.
//
// - Ethernet packets are handed over unchanged (VLAN and QinQ tags included).
// - Linux cooked (SLL, SLL2), raw IP (RAW, IPV4, IPV6) and BSD loopback (NULL,
//   LOOP) packets lose their link header and get an Ethernet one: the type from
//   the capture (SLL protocol type, IP version, address family); the source MAC
//   the cooked header's sender address when it is an Ethernet MAC, else
//   SOURCE_MAC; the destination ff:ff:ff:ff:ff:ff for a broadcast, the IP
//   multicast MAC for a multicast destination, else DESTINATION_MAC.
// - A packet the snapshot length cut short is padded with zero bytes to its
//   length on the wire, so the program sees frames of the traffic's real sizes.
// - A frame longer than one linear XDP frame (GRO/TSO super-packets, jumbo
//   frames: multi-buffer XDP is not modelled) is cut to MAX_LINEAR_PACKET_BYTES.
// - A packet whose link header cannot be read (cut short, a protocol Ethernet
//   does not carry) is left out. Any other link type refuses the capture.
// Each of these is counted; `notes()` says each once, for the run's stderr.
import { type CapturedPacket } from "./captured-packet.ts";
import { MAX_LINEAR_PACKET_BYTES } from "../xdp/layout.ts";
import { LinkTypeError } from "./errors.ts";
import { GENERATOR_DESTINATION_MAC, GENERATOR_SOURCE_MAC } from "./gen/generator.ts";
import { LinkType, linkTypeName } from "./link-type.ts";
import { MAC_BYTES, parseMac } from "./packet/address.ts";
import { ETHERNET_HEADER_BYTES } from "./packet/ethernet.ts";
import { ETHERNET_COMPATIBLE_LINK_TYPES, PacketType, isEthernetCompatible, readLinkHeader, type LinkHeader } from "./packet/link-header.ts";
import { EtherType } from "./packet/protocol-numbers.ts";

// The MACs of a frame whose capture did not record them: those of generated traffic.
export const SOURCE_MAC = GENERATOR_SOURCE_MAC;
export const DESTINATION_MAC = GENERATOR_DESTINATION_MAC;
const SOURCE = parseMac(SOURCE_MAC);
const DESTINATION = parseMac(DESTINATION_MAC);
const BROADCAST = new Uint8Array(MAC_BYTES).fill(0xff);
// The longest frame handed over: one linear XDP frame as BPF_PROG_TEST_RUN lays it out (src/xdp/layout.ts).
export const MAX_FRAME_BYTES = MAX_LINEAR_PACKET_BYTES;
// IEEE Std 802.3 clause 3.2.6: a length/type field up to 1500 is the payload's length.
const MAX_802_3_PAYLOAD_BYTES = 1500;
// IPv4 destination address at byte 16 of the header, IPv6 at byte 24 (RFC 791, RFC 8200).
const IPV4_DESTINATION_AT = 16;
const IPV6_DESTINATION_AT = 24;
const IPV4_MULTICAST_FIRST = 224;
const IPV4_MULTICAST_LAST = 239;
const IPV6_MULTICAST_FIRST = 0xff;
// RFC 1112 section 6.4: 01:00:5e and the low 23 bits of the group address.
const IPV4_MULTICAST_MAC_PREFIX = [0x01, 0x00, 0x5e];
const LOW_23_BITS_OF_FIRST_BYTE = 0x7f;
// RFC 2464 section 7: 33:33 and the low 32 bits of the group address.
const IPV6_MULTICAST_MAC_PREFIX = [0x33, 0x33];
// Reasons listed one by one in the note; more are summed up.
const MAX_REASONS_LISTED = 3;

const CONVERTED_LINK_TYPES = ETHERNET_COMPATIBLE_LINK_TYPES.map(linkTypeName);

export interface XdpFrameCounts {
  // Packets given an Ethernet header, by link type.
  readonly converted: ReadonlyMap<number, number>;
  readonly padded: number;
  readonly paddedBytes: number;
  // Frames longer than MAX_FRAME_BYTES, cut to it.
  readonly cut: number;
  // Packets left out, by reason.
  readonly leftOut: ReadonlyMap<string, number>;
}

export interface XdpFrames {
  // The frame for the capture's next packet (packets must come in order), or
  // undefined when it is left out; throws LinkTypeError for a link type it cannot convert.
  frameOf(packet: CapturedPacket): Uint8Array | undefined;
  readonly counts: XdpFrameCounts;
  // One sentence per kind of change made so far (none when every packet was an uncut Ethernet frame).
  notes(): string[];
}

export function xdpFrames(file: string): XdpFrames {
  const converted = new Map<number, number>();
  const leftOut = new Map<string, number>();
  let padded = 0;
  let paddedBytes = 0;
  let cut = 0;
  let packetNumber = 0;

  const leaveOut = (reason: string): undefined => {
    leftOut.set(reason, (leftOut.get(reason) ?? 0) + 1);
    return undefined;
  };

  // The packet's bytes after its link header (`headerBytes` of them), padded to its wire length and cut to fit after `frontBytes`.
  const body = (packet: CapturedPacket, headerBytes: number, frontBytes: number): Uint8Array => {
    const wireBytes = packet.originalLength - headerBytes;
    const limit = MAX_FRAME_BYTES - frontBytes;
    if (wireBytes > limit) cut++;
    const captured = packet.data.subarray(headerBytes, headerBytes + limit);
    const bytes = Math.min(wireBytes, limit);
    if (captured.length >= bytes) return captured;
    padded++;
    paddedBytes += bytes - captured.length;
    const grown = new Uint8Array(bytes);
    grown.set(captured);
    return grown;
  };

  return {
    frameOf(packet) {
      packetNumber++;
      const { linkType } = packet;
      if (!isEthernetCompatible(linkType)) throw new LinkTypeError(file, packetNumber, linkType, linkTypeName(linkType), listed(CONVERTED_LINK_TYPES));
      if (linkType === LinkType.ETHERNET) {
        // The common case, handed over as it is: an uncut Ethernet frame that fits.
        if (packet.data.length === packet.originalLength && packet.data.length <= MAX_FRAME_BYTES) return packet.data;
        return body(packet, 0, 0);
      }
      // The header is read from the captured bytes: padding must not make one up.
      const link = readLinkHeader(packet.data, linkType);
      if (!link.ok) return leaveOut(link.reason);
      if (link.protocol.kind === "length" && packet.originalLength - link.headerBytes > MAX_802_3_PAYLOAD_BYTES) {
        return leaveOut(`an IEEE 802.3 (LLC) payload longer than ${MAX_802_3_PAYLOAD_BYTES} bytes`);
      }
      converted.set(linkType, (converted.get(linkType) ?? 0) + 1);
      return withEthernetHeader(body(packet, link.headerBytes, ETHERNET_HEADER_BYTES), link);
    },
    get counts() {
      return { converted, padded, paddedBytes, cut, leftOut };
    },
    notes() {
      const notes: string[] = [];
      if (converted.size > 0) {
        const parts = [...converted].map(([type, count]) => `${plural(count, "packet")} of link type ${linkTypeName(type)}`);
        const total = [...converted.values()].reduce((sum, count) => sum + count, 0);
        notes.push(
          `${file}: ${listed(parts)} ${total === 1 ? "was" : "were"} given an Ethernet header (XDP programs see Ethernet frames): the type from the capture, ` +
            `source MAC the recorded sender's or ${SOURCE_MAC}, destination ${DESTINATION_MAC} (broadcast and IP multicast: their group MAC).`,
        );
      }
      if (padded > 0) {
        notes.push(
          `${file}: ${plural(padded, "packet")} cut short by the capture's snapshot length ${padded === 1 ? "was" : "were"} padded with zero bytes to ${padded === 1 ? "its" : "their"} length on the wire (${plural(paddedBytes, "byte")} added).`,
        );
      }
      if (cut > 0) {
        notes.push(
          `${file}: ${plural(cut, "packet")} longer than the ${MAX_FRAME_BYTES} bytes of one linear XDP frame (GRO/TSO super-packets or jumbo frames; multi-buffer XDP is not modelled) ${cut === 1 ? "was" : "were"} cut to it.`,
        );
      }
      if (leftOut.size > 0) {
        const total = [...leftOut.values()].reduce((sum, count) => sum + count, 0);
        const reasons = [...leftOut].slice(0, MAX_REASONS_LISTED).map(([reason, count]) => `${count} as ${reason}`);
        if (leftOut.size > MAX_REASONS_LISTED) reasons.push(`${plural(leftOut.size - MAX_REASONS_LISTED, "more reason")}`);
        notes.push(`${file}: ${plural(total, "packet")} left out, having no Ethernet equivalent: ${reasons.join("; ")}.`);
      }
      return notes;
    },
  };
}

// A packet's body (padded to its wire length) behind a new Ethernet header instead of its own link header.
function withEthernetHeader(payload: Uint8Array, link: Extract<LinkHeader, { ok: true }>): Uint8Array {
  const frame = new Uint8Array(ETHERNET_HEADER_BYTES + payload.length);
  const typeField = link.protocol.kind === "ethertype" ? link.protocol.etherType : payload.length;
  frame.set(destinationMac(payload, link), 0);
  frame.set(link.senderMac ?? SOURCE, MAC_BYTES);
  new DataView(frame.buffer).setUint16(2 * MAC_BYTES, typeField);
  frame.set(payload, ETHERNET_HEADER_BYTES);
  return frame;
}

function destinationMac(payload: Uint8Array, link: Extract<LinkHeader, { ok: true }>): Uint8Array {
  if (link.packetType === PacketType.BROADCAST) return BROADCAST;
  const etherType = link.protocol.kind === "ethertype" ? link.protocol.etherType : undefined;
  if (etherType === EtherType.IPV4 && payload.length >= IPV4_DESTINATION_AT + 4) {
    const group = payload.subarray(IPV4_DESTINATION_AT, IPV4_DESTINATION_AT + 4);
    if (group.every((byte) => byte === 0xff)) return BROADCAST;
    if (group[0] >= IPV4_MULTICAST_FIRST && group[0] <= IPV4_MULTICAST_LAST) {
      return Uint8Array.from([...IPV4_MULTICAST_MAC_PREFIX, group[1] & LOW_23_BITS_OF_FIRST_BYTE, group[2], group[3]]);
    }
  }
  if (etherType === EtherType.IPV6 && payload.length >= IPV6_DESTINATION_AT + 16) {
    const group = payload.subarray(IPV6_DESTINATION_AT, IPV6_DESTINATION_AT + 16);
    if (group[0] === IPV6_MULTICAST_FIRST) return Uint8Array.from([...IPV6_MULTICAST_MAC_PREFIX, ...group.subarray(12)]);
  }
  return DESTINATION;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function listed(items: readonly string[]): string {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
