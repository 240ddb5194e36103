// Packets that reach a parser's deep branches: valid Ethernet / 802.1Q / IPv4 /
// IPv6 / ARP / TCP / UDP / ICMP headers with random fields (edge values
// likely), then sometimes damaged: cut short, a byte flipped, garbage added.
// A packet is generated as a recipe and built against a PacketPool, so
// addresses, ports and VLAN ids come from the program's maps half the time
// (lookups hit) while the recipe itself shrinks like plain data: fewer VLAN
// tags, no options, no payload, no damage, smaller numbers.
import fc from "fast-check";
import { IcmpType, Icmpv6Type, IpProtocol, PacketBuilder, type TcpOption } from "../traffic/index.ts";
import { ETH_HLEN, MAX_LINEAR_PACKET_BYTES } from "../xdp/layout.ts";
import type { PacketPool } from "./packet-pool.ts";

// A value taken from the pool (index modulo its size) or, when the pool is empty or not chosen, this one.
export interface Pick<T> {
  readonly fromPool: boolean;
  readonly index: number;
  readonly own: T;
}

export interface VlanRecipe {
  readonly id: Pick<number>;
  readonly priority: number;
  readonly dropEligible: boolean;
}

export type L4Recipe =
  | { readonly kind: "tcp"; readonly srcPort: Pick<number>; readonly dstPort: Pick<number>; readonly flags: number; readonly seq: number; readonly optionWords: number }
  | { readonly kind: "udp"; readonly srcPort: Pick<number>; readonly dstPort: Pick<number>; readonly lengthLie: number | undefined }
  | { readonly kind: "icmp"; readonly type: number; readonly code: number; readonly rest: number }
  | { readonly kind: "other"; readonly protocol: number };

export type Ipv6ExtensionKind = "hop-by-hop" | "destination-options" | "routing" | "fragment";

export type L3Recipe =
  | {
      readonly kind: "ipv4";
      readonly src: Pick<Uint8Array>;
      readonly dst: Pick<Uint8Array>;
      readonly ttl: number;
      readonly tos: number;
      readonly optionWords: number;
      readonly moreFragments: boolean;
      readonly dontFragment: boolean;
      readonly fragmentOffsetUnits: number;
      readonly totalLengthLie: number | undefined;
      readonly l4: L4Recipe;
    }
  | {
      readonly kind: "ipv6";
      readonly src: Pick<Uint8Array>;
      readonly dst: Pick<Uint8Array>;
      readonly hopLimit: number;
      readonly trafficClass: number;
      readonly extensions: readonly { readonly kind: Ipv6ExtensionKind; readonly fragmentOffsetUnits: number; readonly moreFragments: boolean }[];
      readonly l4: L4Recipe;
    }
  | { readonly kind: "arp"; readonly operation: number; readonly senderIp: Pick<Uint8Array>; readonly targetIp: Pick<Uint8Array> }
  | { readonly kind: "raw"; readonly etherType: number };

export type Damage =
  | { readonly kind: "none" }
  // Keep the first bytes: ETH_HLEN + keep modulo what lies beyond it.
  | { readonly kind: "truncate"; readonly keep: number }
  | { readonly kind: "flip"; readonly at: number; readonly mask: number }
  | { readonly kind: "extend"; readonly bytes: Uint8Array };

export interface PacketRecipe {
  readonly dstMac: Uint8Array;
  readonly srcMac: Uint8Array;
  readonly vlans: readonly VlanRecipe[];
  readonly l3: L3Recipe;
  readonly payloadBytes: number;
  readonly payloadFirst: number;
  readonly damage: Damage;
}

// Values parsers compare against.
const TTL_EDGES = [0, 1, 2, 63, 64, 255];
const PORT_EDGES = [0, 1, 22, 53, 80, 123, 443, 1023, 1024, 8080, 0xffff];
const VLAN_EDGES = [0, 1, 100, 4094, 4095];
// RFC 9293: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20.
const TCP_FLAG_EDGES = [0x02, 0x12, 0x10, 0x18, 0x04, 0x14, 0x01, 0x11, 0x00, 0x03, 0x3f];
const ETHER_TYPE_EDGES = [0x0000, 0x05dc, 0x88cc, 0x8847, 0x88e5, 0xffff];
const IP_PROTOCOL_EDGES = [IpProtocol.HOP_BY_HOP, IpProtocol.GRE, IpProtocol.ESP, IpProtocol.AH, IpProtocol.NO_NEXT_HEADER, 132, 255];
const ICMP_TYPES = [IcmpType.ECHO_REQUEST, IcmpType.ECHO_REPLY, IcmpType.DESTINATION_UNREACHABLE, IcmpType.TIME_EXCEEDED, 255];
const ICMPV6_TYPES = [Icmpv6Type.ECHO_REQUEST, Icmpv6Type.ECHO_REPLY, Icmpv6Type.NEIGHBOR_SOLICITATION, Icmpv6Type.DESTINATION_UNREACHABLE, 255];
const MAC_EDGES = [Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff), Uint8Array.of(0x01, 0x00, 0x5e, 0, 0, 1), Uint8Array.of(0x02, 0, 0, 0, 0, 1), new Uint8Array(6)];
// RFC 791: the header length field counts 32-bit words, at most 15 (40 bytes of options).
const MAX_IPV4_OPTION_WORDS = 10;
// RFC 9293: data offset at most 15 words, 10 of them options.
const MAX_TCP_OPTION_WORDS = 10;
// Fragment offsets count 8-byte units (RFC 791, RFC 8200).
const FRAGMENT_UNIT_BYTES = 8;
const MAX_FRAGMENT_UNITS = 0x1fff;
const MAX_EXTENSIONS = 4;
const MAX_VLAN_TAGS = 2;
// Most payloads are short (parsers look at headers); some reach full-size frames.
const SHORT_PAYLOAD_BYTES = 64;
const LONG_PAYLOAD_BYTES = 1500;

const pick = <T>(own: fc.Arbitrary<T>): fc.Arbitrary<Pick<T>> => fc.record({ fromPool: fc.boolean(), index: fc.nat(), own });
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.nat({ max: 0xffffffff });
const edge = (values: readonly number[], range: fc.Arbitrary<number>): fc.Arbitrary<number> => fc.oneof(fc.constantFrom(...values), range);
const mac = fc.oneof(fc.uint8Array({ minLength: 6, maxLength: 6 }), fc.constantFrom(...MAC_EDGES));
const port = pick(edge(PORT_EDGES, u16));
const ipv4Address = pick(fc.uint8Array({ minLength: 4, maxLength: 4 }));
const ipv6Address = pick(fc.uint8Array({ minLength: 16, maxLength: 16 }));
// Usually undefined (the builder fills the true value), sometimes a lie.
const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.oneof({ weight: 7, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

const l4Recipe = (icmpTypes: readonly number[]): fc.Arbitrary<L4Recipe> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("tcp" as const), srcPort: port, dstPort: port, flags: edge(TCP_FLAG_EDGES, u8), seq: u32, optionWords: fc.nat({ max: MAX_TCP_OPTION_WORDS }) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("udp" as const), srcPort: port, dstPort: port, lengthLie: maybe(u16) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("icmp" as const), type: edge(icmpTypes, u8), code: edge([0], u8), rest: u32 }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("other" as const), protocol: edge(IP_PROTOCOL_EDGES, u8) }) },
  );

const ipv4Recipe: fc.Arbitrary<L3Recipe> = fc.record({
  kind: fc.constant("ipv4" as const),
  src: ipv4Address,
  dst: ipv4Address,
  ttl: edge(TTL_EDGES, u8),
  tos: u8,
  optionWords: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: MAX_IPV4_OPTION_WORDS }) }),
  moreFragments: fc.boolean(),
  dontFragment: fc.boolean(),
  fragmentOffsetUnits: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: MAX_FRAGMENT_UNITS }) }),
  totalLengthLie: maybe(u16),
  l4: l4Recipe(ICMP_TYPES),
});

const ipv6Extension = fc.record({
  kind: fc.constantFrom<Ipv6ExtensionKind>("hop-by-hop", "destination-options", "routing", "fragment"),
  fragmentOffsetUnits: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: MAX_FRAGMENT_UNITS })),
  moreFragments: fc.boolean(),
});

const ipv6Recipe: fc.Arbitrary<L3Recipe> = fc.record({
  kind: fc.constant("ipv6" as const),
  src: ipv6Address,
  dst: ipv6Address,
  hopLimit: edge(TTL_EDGES, u8),
  trafficClass: u8,
  extensions: fc.array(ipv6Extension, { maxLength: MAX_EXTENSIONS }),
  l4: l4Recipe(ICMPV6_TYPES),
});

// ARP operations 1 (request) and 2 (reply), RFC 826.
const arpRecipe: fc.Arbitrary<L3Recipe> = fc.record({ kind: fc.constant("arp" as const), operation: edge([1, 2], u16), senderIp: ipv4Address, targetIp: ipv4Address });
const rawRecipe: fc.Arbitrary<L3Recipe> = fc.record({ kind: fc.constant("raw" as const), etherType: edge(ETHER_TYPE_EDGES, u16) });

export const damageArbitrary: fc.Arbitrary<Damage> = fc.oneof(
  { weight: 12, arbitrary: fc.constant({ kind: "none" as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("truncate" as const), keep: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 0xff }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("extend" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }) }) },
);

export const packetRecipeArbitrary: fc.Arbitrary<PacketRecipe> = fc.record({
  dstMac: mac,
  srcMac: mac,
  vlans: fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.record({ id: pick(edge(VLAN_EDGES, fc.integer({ min: 0, max: 4095 }))), priority: fc.integer({ min: 0, max: 7 }), dropEligible: fc.boolean() }), { minLength: 1, maxLength: MAX_VLAN_TAGS }) }),
  l3: fc.oneof({ weight: 6, arbitrary: ipv4Recipe }, { weight: 3, arbitrary: ipv6Recipe }, { weight: 1, arbitrary: arpRecipe }, { weight: 1, arbitrary: rawRecipe }),
  payloadBytes: fc.oneof({ weight: 6, arbitrary: fc.nat({ max: SHORT_PAYLOAD_BYTES }) }, { weight: 1, arbitrary: fc.nat({ max: LONG_PAYLOAD_BYTES }) }),
  payloadFirst: u8,
  damage: damageArbitrary,
});

function resolve<T>(p: Pick<T>, pool: readonly T[]): T {
  return p.fromPool && pool.length > 0 ? pool[p.index % pool.length] : p.own;
}

// The frame a recipe describes, built against the pool: between ETH_HLEN and MAX_LINEAR_PACKET_BYTES bytes.
export function buildPacket(recipe: PacketRecipe, pool: PacketPool): Uint8Array {
  let b = PacketBuilder.empty().eth({ src: recipe.srcMac, dst: recipe.dstMac, ...(recipe.l3.kind === "raw" && recipe.vlans.length === 0 ? { etherType: recipe.l3.etherType } : {}) });
  recipe.vlans.forEach((tag, i) => {
    const last = i === recipe.vlans.length - 1;
    const options = { vlanId: resolve(tag.id, pool.vlanIds), priority: tag.priority, dropEligible: tag.dropEligible, ...(last && recipe.l3.kind === "raw" ? { etherType: recipe.l3.etherType } : {}) };
    b = i === 0 && recipe.vlans.length > 1 ? b.qinq(options) : b.vlan(options);
  });
  const l3 = recipe.l3;
  switch (l3.kind) {
    case "ipv4":
      b = b.ipv4({
        src: resolve(l3.src, pool.ipv4),
        dst: resolve(l3.dst, pool.ipv4),
        ttl: l3.ttl,
        tos: l3.tos,
        // RFC 791 option 1 (no operation) pads the header to whole words.
        options: new Uint8Array(l3.optionWords * 4).fill(1),
        moreFragments: l3.moreFragments,
        dontFragment: l3.dontFragment,
        fragmentOffsetBytes: l3.fragmentOffsetUnits * FRAGMENT_UNIT_BYTES,
        ...(l3.totalLengthLie === undefined ? {} : { totalLength: l3.totalLengthLie }),
        ...(l3.l4.kind === "other" ? { protocol: l3.l4.protocol } : {}),
      });
      b = withL4(b, l3.l4, pool, "icmp");
      break;
    case "ipv6":
      b = b.ipv6({
        src: resolve(l3.src, pool.ipv6),
        dst: resolve(l3.dst, pool.ipv6),
        hopLimit: l3.hopLimit,
        trafficClass: l3.trafficClass,
        extensions: l3.extensions.map((e) =>
          e.kind === "fragment"
            ? { kind: "fragment" as const, offsetBytes: e.fragmentOffsetUnits * FRAGMENT_UNIT_BYTES, moreFragments: e.moreFragments }
            : e.kind === "routing"
              ? { kind: "routing" as const, addresses: [] }
              : { kind: e.kind },
        ),
        ...(l3.l4.kind === "other" ? { nextHeader: l3.l4.protocol } : {}),
      });
      b = withL4(b, l3.l4, pool, "icmpv6");
      break;
    case "arp":
      b = b.arp({ operation: l3.operation, senderMac: recipe.srcMac, senderIp: resolve(l3.senderIp, pool.ipv4), targetIp: resolve(l3.targetIp, pool.ipv4) });
      break;
    case "raw":
      break;
  }
  if (recipe.payloadBytes > 0 && l3.kind !== "arp") b = b.payload(recipe.payloadBytes, recipe.payloadFirst);
  else if (l3.kind === "raw") b = b.payload(0);
  const frame = b.build();
  return clampLength(applyDamage(frame, recipe.damage));
}

function withL4(b: PacketBuilder, l4: L4Recipe, pool: PacketPool, icmpKind: "icmp" | "icmpv6"): PacketBuilder {
  switch (l4.kind) {
    case "tcp":
      return b.tcp({ srcPort: resolve(l4.srcPort, pool.ports), dstPort: resolve(l4.dstPort, pool.ports), flags: l4.flags, seq: l4.seq, options: tcpNops(l4.optionWords) });
    case "udp":
      return b.udp({ srcPort: resolve(l4.srcPort, pool.ports), dstPort: resolve(l4.dstPort, pool.ports), ...(l4.lengthLie === undefined ? {} : { length: l4.lengthLie }) });
    case "icmp": {
      const options = { type: l4.type, code: l4.code, restOfHeader: l4.rest };
      return icmpKind === "icmp" ? b.icmp(options) : b.icmpv6(options);
    }
    case "other":
      return b;
  }
}

// RFC 9293 option kind 1 (no operation), one byte each.
const tcpNops = (words: number): TcpOption[] => Array.from({ length: words * 4 }, () => ({ kind: "nop" }) as TcpOption);

// A given frame (a captured one) with the damage a recipe could apply, kept within one linear XDP frame.
export function damagedFrame(frame: Uint8Array, d: Damage): Uint8Array {
  return clampLength(applyDamage(frame, d));
}

function applyDamage(frame: Uint8Array, d: Damage): Uint8Array {
  switch (d.kind) {
    case "none":
      return frame;
    case "truncate": {
      const beyond = frame.length - ETH_HLEN;
      return beyond <= 0 ? frame : frame.slice(0, ETH_HLEN + (d.keep % beyond));
    }
    case "flip": {
      const out = frame.slice();
      out[d.at % out.length] ^= d.mask;
      return out;
    }
    case "extend": {
      const out = new Uint8Array(frame.length + d.bytes.length);
      out.set(frame);
      out.set(d.bytes, frame.length);
      return out;
    }
  }
}

function clampLength(frame: Uint8Array): Uint8Array {
  if (frame.length > MAX_LINEAR_PACKET_BYTES) return frame.slice(0, MAX_LINEAR_PACKET_BYTES);
  if (frame.length >= ETH_HLEN) return frame;
  const out = new Uint8Array(ETH_HLEN);
  out.set(frame);
  return out;
}

