// The flows of generated traffic. Flow i's addresses, ports, protocol, IP
// version and VLAN are a pure function of (seed, i), so any number of flows
// costs no memory and a flow looks the same each time it is drawn.
//
// Addresses come from the benchmarking ranges: IPv4 198.18.0.0/15 (RFC 2544
// appendix C.2.2, RFC 6890), sources in 198.18/16 and destinations in 198.19/16;
// IPv6 2001:2::/48 (RFC 5180 section 5). Source ports are ephemeral (49152-65535,
// RFC 6335), destination ports well-known (1-1023). Flow i's source address and
// port are built from a bijection of i, so flows below MAX_FLOWS never collide.
import { hash32 } from "./prng.ts";
import type { TrafficProtocol, TrafficSpec } from "./traffic-spec.ts";

export interface Flow {
  readonly index: number;
  readonly protocol: TrafficProtocol;
  readonly ipVersion: 4 | 6;
  readonly vlanId: number | undefined;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly srcPort: number;
  readonly dstPort: number;
  // Per-flow constants for TCP sequence/acknowledgment numbers and ICMP identifiers.
  readonly tcpSeq: number;
  readonly tcpAck: number;
  readonly icmpIdentifier: number;
}

const IPV4_SOURCE_NET = [198, 18];
const IPV4_DESTINATION_NET = [198, 19];
const IPV6_BENCHMARK_PREFIX = [0x20, 0x01, 0x00, 0x02, 0x00, 0x00];
// The 16-bit subnet after the /48 prefix tells sources (0) from destinations (1).
const IPV6_DESTINATION_SUBNET = 1;
const EPHEMERAL_PORT_BASE = 49152;
const WELL_KNOWN_PORTS = 1023;
const MAX_VLAN_ID = 4094;
// Flow indexes are scrambled over 24 bits: 16 go into the source address, 8 into the source port.
const FLOW_BITS = 24;
const FLOW_MASK = (1 << FLOW_BITS) - 1;
const SCRAMBLE_MULTIPLIER_A = 0x9e3779;
const SCRAMBLE_MULTIPLIER_B = 0x2c9277;

const Salt = {
  PROTOCOL: 1,
  IP_VERSION: 2,
  VLAN_PRESENT: 3,
  VLAN_ID: 4,
  PORT_LOW_BITS: 5,
  DST_PORT: 6,
  DST_ADDRESS: 7,
  TCP_SEQ: 8,
  TCP_ACK: 9,
  ICMP_ID: 10,
  IPV6_SOURCE_HIGH: 11,
} as const;

const TWO_POW_32 = 0x1_0000_0000;

export function flowAt(spec: TrafficSpec, seedKey: number, index: number): Flow {
  const hash = (salt: number): number => hash32(seedKey, index, salt);
  const unit = (salt: number): number => hash(salt) / TWO_POW_32;
  // Offset by the seed so that flow 0 is not the network address 198.18.0.0 of every run.
  const scrambled = scramble24(index + seedKey);
  const ipVersion = unit(Salt.IP_VERSION) < spec.ipv6Share ? 6 : 4;
  // 14 bits of ephemeral port: the 8 scrambled bits not in the address above 6 hashed ones.
  const srcPort = EPHEMERAL_PORT_BASE + (((scrambled >>> 16) << 6) | (hash(Salt.PORT_LOW_BITS) & 0x3f));
  const dstHash = hash(Salt.DST_ADDRESS);
  let src: Uint8Array;
  let dst: Uint8Array;
  if (ipVersion === 4) {
    src = Uint8Array.of(...IPV4_SOURCE_NET, (scrambled >>> 8) & 0xff, scrambled & 0xff);
    dst = Uint8Array.of(...IPV4_DESTINATION_NET, (dstHash >>> 8) & 0xff, dstHash & 0xff);
  } else {
    const high = hash(Salt.IPV6_SOURCE_HIGH);
    src = Uint8Array.of(...IPV6_BENCHMARK_PREFIX, 0, 0, ...be32(high), 0, 0, (scrambled >>> 8) & 0xff, scrambled & 0xff);
    dst = Uint8Array.of(...IPV6_BENCHMARK_PREFIX, 0, IPV6_DESTINATION_SUBNET, 0, 0, 0, 0, ...be32(dstHash));
  }
  return {
    index,
    protocol: pickProtocol(spec, unit(Salt.PROTOCOL)),
    ipVersion,
    vlanId: unit(Salt.VLAN_PRESENT) < spec.vlanShare ? 1 + (hash(Salt.VLAN_ID) % MAX_VLAN_ID) : undefined,
    src,
    dst,
    srcPort,
    dstPort: 1 + (hash(Salt.DST_PORT) % WELL_KNOWN_PORTS),
    tcpSeq: hash(Salt.TCP_SEQ),
    tcpAck: hash(Salt.TCP_ACK),
    icmpIdentifier: hash(Salt.ICMP_ID) & 0xffff,
  };
}

function pickProtocol(spec: TrafficSpec, unit: number): TrafficProtocol {
  let cumulative = 0;
  for (const entry of spec.mix) {
    cumulative += entry.share;
    if (unit < cumulative) return entry.protocol;
  }
  return spec.mix[spec.mix.length - 1].protocol;
}

// A bijection of [0, 2^24): multiplying by an odd number and xor-shifting right are both invertible mod 2^24.
export function scramble24(index: number): number {
  let x = Math.imul(index & FLOW_MASK, SCRAMBLE_MULTIPLIER_A) & FLOW_MASK;
  x ^= x >>> 12;
  x = Math.imul(x, SCRAMBLE_MULTIPLIER_B) & FLOW_MASK;
  return x;
}

function be32(value: number): number[] {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}
