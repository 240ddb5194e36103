// Seeded packets for the differential check, protocol-aware and meant to
// reach every branch of a parser: a third from the synthetic traffic
// generator (src/traffic: flows, IMIX-like sizes, VLANs, IPv6, SYN floods,
// its own malformed packets), the rest built here layer by layer with the
// corner cases parsers get wrong: ARP and unknown EtherTypes, stacked
// VLAN tags, IPv4 options and fragments, IPv6 extension header chains
// (AH included), TTL/hop limit 0 and 1, TCP flag combinations, ICMP types,
// bare 14-byte frames, and malformations (cut anywhere, lying length
// fields, bad checksums, IHL below 5, flipped bytes).
//
// Addresses, ports and VLAN ids are drawn half the time from a pool (the
// values a program's maps hold, so lookups hit), otherwise at random. Every
// packet is between ETH_HLEN and the largest linear frame BPF_PROG_TEST_RUN
// makes, so the kernel and the interpreter see the same bytes.
import { PacketBuildError } from "../traffic/errors.ts";
import { IcmpType, Icmpv6Type, IpProtocol, PacketBuilder, Prng, eth, generateTraffic, type GeneratedPacket } from "../traffic/index.ts";
import { ETH_HLEN, MAX_LINEAR_PACKET_BYTES } from "../xdp/layout.ts";

export interface PacketPool {
  readonly ipv4: readonly Uint8Array[];
  readonly ipv6: readonly Uint8Array[];
  readonly ports: readonly number[];
  readonly vlanIds: readonly number[];
}

export const EMPTY_POOL: PacketPool = { ipv4: [], ipv6: [], ports: [], vlanIds: [] };

export interface TestPacket {
  readonly packet: Uint8Array;
  // Where it came from, for reports: "traffic #12", "crafted ipv6/udp truncated".
  readonly label: string;
}

// The traffic generator's share and its spec (src/traffic/gen/traffic-spec.ts).
const TRAFFIC_SHARE = 1 / 3;
const TRAFFIC_SPEC = "udp tcp icmp ipv6=35% vlan=15% malformed=15% synflood=10% flows=256 size=64..1518";
const POOL_SHARE = 0.5;
const MAC_LOCAL = Uint8Array.of(0x02, 0, 0, 0, 0, 0x02);
const MAC_PEER = Uint8Array.of(0x02, 0, 0, 0, 0, 0x01);
const SPECIAL_IPV4 = ["255.255.255.255", "0.0.0.0", "127.0.0.1", "224.0.0.1", "239.255.255.250", "10.0.0.1", "192.168.1.1", "198.51.100.7", "203.0.113.9"];
const SPECIAL_IPV6 = ["::1", "::", "ff02::1", "fe80::1", "2001:db8::1", "2001:db8:1::7"];
const TTLS = [0, 1, 2, 63, 64, 128, 255];
const TCP_FLAGS = ["S", "SA", "A", "PA", "R", "RA", "F", "FA", "", "SF", "SR", "UAPRSF"];
const EXTENSION_KINDS = ["hop-by-hop", "destination-options", "routing", "fragment", "ah"] as const;
// IPv4 header offsets (RFC 791): version/IHL byte.
const IPV4_VERSION_IHL = 0;
const IPV4_VERSION = 4;
// RFC 4302: the AH header's length field counts 4-byte words minus 2.
const AH_WORDS_BIAS = 2;
const IPV6_HEADER_BYTES = 40;
// RFC 4960.
const SCTP_PROTOCOL = 132;

export function generatePackets(count: number, seed: bigint | number, pool: PacketPool = EMPTY_POOL): TestPacket[] {
  const prng = new Prng(BigInt(seed) ^ 0x6f7261636c65n);
  const traffic = generateTraffic(TRAFFIC_SPEC, { packets: count, seed })[Symbol.iterator]();
  const packets: TestPacket[] = [];
  for (let i = 0; i < count; i++) {
    if (prng.nextFloat() < TRAFFIC_SHARE) {
      const next = traffic.next();
      if (!next.done) {
        packets.push({ packet: fitFrame(next.value.data), label: trafficLabel(next.value) });
        continue;
      }
    }
    packets.push(craftedPacket(prng, pool));
  }
  return packets;
}

function trafficLabel(packet: GeneratedPacket): string {
  return `traffic #${packet.index}${packet.synFlood ? " syn-flood" : ""}${packet.malformation ? ` ${packet.malformation}` : ""}`;
}

// Between ETH_HLEN and the linear frame limit: longer frames are cut, shorter ones zero-padded.
function fitFrame(frame: Uint8Array): Uint8Array {
  if (frame.length > MAX_LINEAR_PACKET_BYTES) return frame.slice(0, MAX_LINEAR_PACKET_BYTES);
  if (frame.length >= ETH_HLEN) return frame;
  const padded = new Uint8Array(ETH_HLEN);
  padded.set(frame);
  return padded;
}

const pick = <T>(prng: Prng, items: readonly T[]): T => items[prng.nextBelow(items.length)];
const chance = (prng: Prng, p: number): boolean => prng.nextFloat() < p;

function randomBytes(prng: Prng, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = prng.nextBelow(256);
  return bytes;
}

function ipv4Address(prng: Prng, pool: PacketPool): Uint8Array | string {
  if (pool.ipv4.length > 0 && chance(prng, POOL_SHARE)) {
    const base = pick(prng, pool.ipv4);
    // Sometimes a neighbour of a pooled address (the rest of its prefix).
    return chance(prng, 0.2) ? Uint8Array.of(base[0], base[1], base[2], prng.nextBelow(256)) : base;
  }
  if (chance(prng, 0.15)) return pick(prng, SPECIAL_IPV4);
  return randomBytes(prng, 4);
}

function ipv6Address(prng: Prng, pool: PacketPool): Uint8Array | string {
  if (pool.ipv6.length > 0 && chance(prng, POOL_SHARE)) return pick(prng, pool.ipv6);
  if (chance(prng, 0.15)) return pick(prng, SPECIAL_IPV6);
  return randomBytes(prng, 16);
}

function port(prng: Prng, pool: PacketPool): number {
  if (pool.ports.length > 0 && chance(prng, POOL_SHARE)) return pick(prng, pool.ports);
  return chance(prng, 0.5) ? prng.nextInRange(0, 1023) : prng.nextBelow(0x10000);
}

interface Crafted {
  readonly builder: PacketBuilder;
  readonly label: string;
  // Byte offset of the IPv4 header, for the IHL mutation.
  readonly ipv4At?: number;
}

function craftedPacket(prng: Prng, pool: PacketPool): TestPacket {
  for (;;) {
    try {
      const crafted = craft(prng, pool);
      let frame = crafted.builder.build();
      let label = `crafted ${crafted.label}`;
      const mutation = prng.nextFloat();
      if (mutation < 0.12 && frame.length > ETH_HLEN) {
        frame = frame.slice(0, prng.nextInRange(ETH_HLEN, frame.length - 1));
        label += " truncated";
      } else if (mutation < 0.16 && crafted.ipv4At !== undefined) {
        frame[crafted.ipv4At + IPV4_VERSION_IHL] = (IPV4_VERSION << 4) | prng.nextBelow(5);
        label += " ihl<5";
      } else if (mutation < 0.22) {
        const flips = 1 + prng.nextBelow(3);
        for (let i = 0; i < flips; i++) frame[prng.nextBelow(Math.min(frame.length, 80))] ^= 1 << prng.nextBelow(8);
        label += " bit-flips";
      }
      return { packet: fitFrame(frame), label };
    } catch (error) {
      // A combination the builder refuses (an option that does not fit): draw again.
      if (!(error instanceof PacketBuildError)) throw error;
    }
  }
}

function craft(prng: Prng, pool: PacketPool): Crafted {
  const dst = chance(prng, 0.8) ? MAC_LOCAL : chance(prng, 0.5) ? Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff) : randomBytes(prng, 6);
  let link = eth({ src: chance(prng, 0.8) ? MAC_PEER : randomBytes(prng, 6), dst });
  let linkBytes = ETH_HLEN;
  let label = "";
  const tags = chance(prng, 0.2) ? (chance(prng, 0.25) ? 2 : 1) : 0;
  for (let t = 0; t < tags; t++) {
    const vlanId = pool.vlanIds.length > 0 && chance(prng, POOL_SHARE) ? pick(prng, pool.vlanIds) : prng.nextBelow(4096);
    link = t === 0 && tags === 2 ? link.qinq({ vlanId, priority: prng.nextBelow(8) }) : link.vlan({ vlanId, priority: prng.nextBelow(8), dropEligible: chance(prng, 0.2) });
    linkBytes += 4;
    label += `vlan${vlanId}/`;
  }
  const network = prng.nextFloat();
  if (network < 0.05) return { builder: link, label: `${label}bare` };
  if (network < 0.12) {
    const arp = link.arp({ operation: chance(prng, 0.5) ? "request" : "reply", senderMac: MAC_PEER, senderIp: ipv4Address(prng, pool), targetIp: ipv4Address(prng, pool) });
    return { builder: arp, label: `${label}arp` };
  }
  if (network < 0.18) {
    const etherType = pick(prng, [0x88cc, 0x8847, 0x0842, prng.nextBelow(0x10000)]);
    const other = link.payload(randomBytes(prng, prng.nextBelow(64)));
    return { builder: PacketBuilder.empty().eth({ src: MAC_PEER, dst, etherType }).payload(other.build().slice(linkBytes)), label: `${label}ethertype-${etherType.toString(16)}` };
  }
  const v6 = network >= 0.62;
  if (!v6) {
    const fragmented = chance(prng, 0.2);
    const options = chance(prng, 0.15) ? optionsBytes(prng) : undefined;
    const fields = {
      src: ipv4Address(prng, pool),
      dst: ipv4Address(prng, pool),
      ttl: chance(prng, 0.3) ? pick(prng, TTLS) : 64,
      tos: chance(prng, 0.2) ? prng.nextBelow(256) : 0,
      identification: prng.nextBelow(0x10000),
      dontFragment: chance(prng, 0.5),
      moreFragments: fragmented && chance(prng, 0.6),
      fragmentOffsetBytes: fragmented && chance(prng, 0.6) ? 8 * prng.nextInRange(1, 200) : 0,
      ...(options === undefined ? {} : { options }),
      ...(chance(prng, 0.06) ? { totalLength: prng.nextBelow(0x10000) } : {}),
      ...(chance(prng, 0.05) ? { checksum: "wrong" as const } : {}),
    };
    const inner = transport(prng, pool, (protocol) => link.ipv4({ ...fields, ...(protocol === undefined ? {} : { protocol }) }), false);
    return { builder: inner.builder, label: `${label}ipv4${options ? "+options" : ""}${fragmented ? "+frag" : ""}/${inner.label}`, ipv4At: linkBytes };
  }
  const extensions = chance(prng, 0.3) ? extensionChain(prng, pool) : [];
  const ah = extensions.findIndex((e) => e === "ah");
  const builtExtensions = (ah < 0 ? extensions : extensions.slice(0, ah)).filter((e): e is Exclude<typeof e, "ah"> => e !== "ah");
  const ipHeader = {
    src: ipv6Address(prng, pool),
    dst: ipv6Address(prng, pool),
    hopLimit: chance(prng, 0.3) ? pick(prng, TTLS) : 64,
    trafficClass: chance(prng, 0.2) ? prng.nextBelow(256) : 0,
    flowLabel: prng.nextBelow(0x100000),
    extensions: builtExtensions,
    ...(chance(prng, 0.06) ? { payloadLength: prng.nextBelow(0x10000) } : {}),
  };
  if (ah >= 0) {
    // An Authentication Header, which the builder does not make: raw bytes naming the upper layer.
    const upper = transport(prng, pool, (protocol) => PacketBuilder.empty().ipv6({ src: "::1", dst: "::1", ...(protocol === undefined ? {} : { nextHeader: protocol }) }), true);
    const upperBytes = upper.builder.build().slice(IPV6_HEADER_BYTES);
    const words = 4 + 2 * prng.nextBelow(3);
    const header = new Uint8Array(words * 4);
    header[0] = upper.protocol;
    header[1] = words - AH_WORDS_BIAS;
    header.set(randomBytes(prng, header.length - 4), 4);
    const ip = link.ipv6({ ...ipHeader, nextHeader: IpProtocol.AH }).payload(Uint8Array.from([...header, ...upperBytes]));
    return { builder: ip, label: `${label}ipv6+ext${builtExtensions.length}+ah/${upper.label}` };
  }
  const inner = transport(prng, pool, (protocol) => link.ipv6({ ...ipHeader, ...(protocol === undefined ? {} : { nextHeader: protocol }) }), true);
  return { builder: inner.builder, label: `${label}ipv6${extensions.length > 0 ? `+ext${extensions.length}` : ""}/${inner.label}` };
}

function optionsBytes(prng: Prng): Uint8Array {
  const length = 4 * prng.nextInRange(1, 10);
  // NOPs and a Router Alert (RFC 2113), or random bytes.
  if (chance(prng, 0.5)) return Uint8Array.from({ length }, (_, i) => (i < 4 && length >= 4 ? [0x94, 0x04, 0, 0][i] : 1));
  return randomBytes(prng, length);
}

type ExtensionDraw = Exclude<(typeof EXTENSION_KINDS)[number], "ah"> extends infer K
  ? K extends "hop-by-hop" | "destination-options"
    ? { readonly kind: K; readonly options: readonly { type: number; data: Uint8Array }[] }
    : K extends "routing"
      ? { readonly kind: K; readonly routingType: number; readonly segmentsLeft: number; readonly addresses: readonly (Uint8Array | string)[] }
      : { readonly kind: "fragment"; readonly offsetBytes: number; readonly moreFragments: boolean; readonly identification: number }
  : never;

function extensionChain(prng: Prng, pool: PacketPool): (ExtensionDraw | "ah")[] {
  const length = chance(prng, 0.15) ? prng.nextInRange(7, 10) : prng.nextInRange(1, 3);
  const chain: (ExtensionDraw | "ah")[] = [];
  for (let i = 0; i < length; i++) {
    const kind = pick(prng, EXTENSION_KINDS);
    switch (kind) {
      case "ah":
        chain.push("ah");
        return chain;
      case "hop-by-hop":
      case "destination-options": {
        const size = chance(prng, 0.05) ? prng.nextInRange(200, 500) : prng.nextBelow(20);
        chain.push({ kind, options: [{ type: chance(prng, 0.5) ? 0x1e : prng.nextBelow(256), data: randomBytes(prng, size) }] });
        break;
      }
      case "routing":
        chain.push({ kind, routingType: pick(prng, [0, 2, 4, prng.nextBelow(256)]), segmentsLeft: prng.nextBelow(3), addresses: [ipv6Address(prng, pool)] });
        break;
      case "fragment":
        chain.push({ kind, offsetBytes: chance(prng, 0.5) ? 0 : 8 * prng.nextInRange(1, 100), moreFragments: chance(prng, 0.5), identification: prng.nextUint32() });
        break;
    }
  }
  return chain;
}

function payloadBytes(prng: Prng): number {
  const draw = prng.nextFloat();
  if (draw < 0.6) return prng.nextBelow(48);
  if (draw < 0.9) return prng.nextBelow(1500);
  return prng.nextBelow(MAX_LINEAR_PACKET_BYTES);
}

interface Transport {
  readonly builder: PacketBuilder;
  readonly label: string;
  // The IP protocol number of the upper layer.
  readonly protocol: number;
}

// `ip(protocol)` builds the IP layer, naming `protocol` as its upper layer when given.
function transport(prng: Prng, pool: PacketPool, ip: (protocol?: number) => PacketBuilder, v6: boolean): Transport {
  const draw = prng.nextFloat();
  const payload = payloadBytes(prng);
  const checksum = chance(prng, 0.05) ? ("wrong" as const) : ("correct" as const);
  if (draw < 0.4) {
    const flags = pick(prng, TCP_FLAGS);
    const tcp = ip().tcp({ srcPort: port(prng, pool), dstPort: port(prng, pool), seq: prng.nextUint32(), ack: prng.nextUint32(), flags, window: prng.nextBelow(0x10000), checksum });
    return { builder: tcp.payload(payload), label: `tcp[${flags}]`, protocol: IpProtocol.TCP };
  }
  if (draw < 0.75) {
    const udp = ip().udp({ srcPort: port(prng, pool), dstPort: port(prng, pool), checksum, ...(chance(prng, 0.05) ? { length: prng.nextBelow(0x10000) } : {}) });
    return { builder: udp.payload(payload), label: "udp", protocol: IpProtocol.UDP };
  }
  if (draw < 0.92) {
    const types = v6 ? [Icmpv6Type.ECHO_REQUEST, Icmpv6Type.ECHO_REPLY, Icmpv6Type.DESTINATION_UNREACHABLE, prng.nextBelow(256)] : [IcmpType.ECHO_REQUEST, IcmpType.ECHO_REPLY, IcmpType.TIME_EXCEEDED, prng.nextBelow(256)];
    const type = pick(prng, types);
    const echo = { type, code: chance(prng, 0.8) ? 0 : prng.nextBelow(256), identifier: prng.nextBelow(0x10000), sequence: prng.nextBelow(0x10000), checksum };
    const icmp = v6 ? ip().icmpv6(echo) : ip().icmp(echo);
    return { builder: icmp.payload(chance(prng, 0.2) ? 0 : payload), label: `icmp${v6 ? "v6" : ""}-${type}`, protocol: v6 ? IpProtocol.ICMPV6 : IpProtocol.ICMP };
  }
  const protocol = pick(prng, [IpProtocol.GRE, IpProtocol.ESP, SCTP_PROTOCOL, prng.nextBelow(256)]);
  return { builder: ip(protocol).payload(randomBytes(prng, payload % 256)), label: `proto-${protocol}`, protocol };
}
