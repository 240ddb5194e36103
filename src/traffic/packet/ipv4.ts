// The IPv4 header (RFC 791): 20 bytes plus up to 40 of options, with a header
// checksum (RFC 1071) over the header alone. Fragment offsets are in 8-byte units.
import { PacketBuildError } from "../errors.ts";
import { formatIpv4, parseIpv4, type AddressInput } from "./address.ts";
import { internetChecksum, sumWords, checksumOf, wrongChecksum } from "./checksum.ts";
import { needBytes, type DecodeStep, type DecodedIpv4, type EnclosingIp, type NextKind } from "./decoded.ts";
import {
  fieldValue,
  ipProtocolFor,
  nextLayer,
  placedAt,
  resolveChecksum,
  type ChecksumChoice,
  type Frame,
  type Ipv4Layer,
} from "./layer.ts";
import { IpProtocol } from "./protocol-numbers.ts";

export const IPV4_MIN_HEADER_BYTES = 20;
export const IPV4_MAX_OPTION_BYTES = 40;
const VERSION = 4;
const FLAG_DONT_FRAGMENT = 0x4000;
const FLAG_MORE_FRAGMENTS = 0x2000;
const FRAGMENT_OFFSET_MASK = 0x1fff;
const FRAGMENT_UNIT_BYTES = 8;
// Where the checksum field is, from the start of the header.
export const IPV4_CHECKSUM_AT = 10;
const CHECKSUM_AT = IPV4_CHECKSUM_AT;

export interface Ipv4Options {
  readonly src: AddressInput;
  readonly dst: AddressInput;
  readonly ttl?: number;
  readonly tos?: number;
  readonly identification?: number;
  readonly dontFragment?: boolean;
  readonly moreFragments?: boolean;
  // A multiple of 8.
  readonly fragmentOffsetBytes?: number;
  // Raw option bytes (e.g. [0x94, 0x04, 0, 0], Router Alert, RFC 2113); padded with zeros (End of Option List) to 4.
  readonly options?: Uint8Array | readonly number[];
  // Overrides: the protocol number (else taken from the next layer), and a
  // total length or checksum that need not be the true one.
  readonly protocol?: number;
  readonly totalLength?: number;
  readonly checksum?: ChecksumChoice;
}

// A header without options (most of them) shares this empty array.
const NO_OPTIONS = new Uint8Array(0);

export function ipv4Layer(options: Ipv4Options): Ipv4Layer {
  const name = "IPv4";
  const rawOptions = options.options === undefined ? NO_OPTIONS : Uint8Array.from(options.options);
  if (rawOptions.length > IPV4_MAX_OPTION_BYTES) {
    throw new PacketBuildError(name, `${rawOptions.length} bytes of options do not fit the ${IPV4_MAX_OPTION_BYTES} an IPv4 header allows`);
  }
  const paddedOptions = rawOptions.length === 0 ? NO_OPTIONS : new Uint8Array(Math.ceil(rawOptions.length / 4) * 4);
  paddedOptions.set(rawOptions);
  const fragmentOffsetBytes = options.fragmentOffsetBytes ?? 0;
  if (fragmentOffsetBytes % FRAGMENT_UNIT_BYTES !== 0) {
    throw new PacketBuildError(name, `fragment offset ${fragmentOffsetBytes} is not a multiple of ${FRAGMENT_UNIT_BYTES} bytes`);
  }
  fieldValue(fragmentOffsetBytes / FRAGMENT_UNIT_BYTES, FRAGMENT_OFFSET_MASK, name, "fragment offset in 8-byte units");
  return {
    kind: "ipv4",
    src: parseIpv4(options.src, "IPv4 source"),
    dst: parseIpv4(options.dst, "IPv4 destination"),
    tos: fieldValue(options.tos ?? 0, 0xff, name, "type of service"),
    identification: fieldValue(options.identification ?? 0, 0xffff, name, "identification"),
    dontFragment: options.dontFragment ?? false,
    moreFragments: options.moreFragments ?? false,
    fragmentOffsetBytes,
    ttl: fieldValue(options.ttl ?? 64, 0xff, name, "TTL"),
    options: paddedOptions,
    protocol: options.protocol === undefined ? undefined : fieldValue(options.protocol, 0xff, name, "protocol"),
    totalLength: options.totalLength === undefined ? undefined : fieldValue(options.totalLength, 0xffff, name, "total length"),
    checksum: options.checksum ?? "correct",
  };
}

export function ipv4HeaderLength(layer: Ipv4Layer): number {
  return IPV4_MIN_HEADER_BYTES + layer.options.length;
}

export function writeIpv4(frame: Frame, index: number): void {
  const { layer, offset, headerLength, end } = placedAt<Ipv4Layer>(frame, index);
  const totalLength = layer.totalLength ?? end - offset;
  if (totalLength > 0xffff) throw new PacketBuildError("IPv4", `a packet of ${totalLength} bytes exceeds the 65535 an IPv4 total length can say`);
  const { view, bytes } = frame;
  bytes[offset] = (VERSION << 4) | (headerLength / 4);
  bytes[offset + 1] = layer.tos;
  view.setUint16(offset + 2, totalLength);
  view.setUint16(offset + 4, layer.identification);
  const flags = (layer.dontFragment ? FLAG_DONT_FRAGMENT : 0) | (layer.moreFragments ? FLAG_MORE_FRAGMENTS : 0);
  view.setUint16(offset + 6, flags | (layer.fragmentOffsetBytes / FRAGMENT_UNIT_BYTES));
  bytes[offset + 8] = layer.ttl;
  bytes[offset + 9] = layer.protocol ?? ipProtocolFor(nextLayer(frame, index));
  view.setUint16(offset + CHECKSUM_AT, 0);
  bytes.set(layer.src, offset + 12);
  bytes.set(layer.dst, offset + 16);
  bytes.set(layer.options, offset + IPV4_MIN_HEADER_BYTES);
}

export function ipv4Enclosing(layer: Ipv4Layer): EnclosingIp {
  return { version: 4, src: layer.src, dst: layer.dst, fragment: layer.moreFragments || layer.fragmentOffsetBytes !== 0 };
}

export function sealIpv4(frame: Frame, index: number): void {
  const { layer, offset, headerLength } = placedAt<Ipv4Layer>(frame, index);
  const correct = internetChecksum(frame.bytes, offset, offset + headerLength);
  frame.view.setUint16(offset + CHECKSUM_AT, resolveChecksum(layer.checksum, correct, wrongChecksum));
}

export function decodeIpv4(bytes: Uint8Array, offset: number, end: number): DecodeStep<DecodedIpv4> & { enclosing?: EnclosingIp } {
  const short = needBytes("IPv4 header", IPV4_MIN_HEADER_BYTES, offset, end);
  if (short) return short;
  const version = bytes[offset] >> 4;
  if (version !== VERSION) return { ok: false, reason: `IPv4 header has version ${version}` };
  const headerLength = (bytes[offset] & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER_BYTES) return { ok: false, reason: `IPv4 header length ${headerLength} is below 20` };
  const shortOptions = needBytes("IPv4 header with options", headerLength, offset, end);
  if (shortOptions) return shortOptions;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, headerLength);
  const totalLength = view.getUint16(2);
  if (totalLength < headerLength) {
    return { ok: false, reason: `IPv4 total length ${totalLength} is shorter than its ${headerLength}-byte header` };
  }
  const flagsAndOffset = view.getUint16(6);
  const checksum = view.getUint16(CHECKSUM_AT);
  const correct = checksumOf(sumWords(bytes, offset, offset + headerLength) - checksum);
  const protocol = bytes[offset + 9];
  const fragmentOffsetBytes = (flagsAndOffset & FRAGMENT_OFFSET_MASK) * FRAGMENT_UNIT_BYTES;
  const layer: DecodedIpv4 = {
    kind: "ipv4",
    offset,
    headerLength,
    src: formatIpv4(bytes, offset + 12),
    dst: formatIpv4(bytes, offset + 16),
    tos: bytes[offset + 1],
    totalLength,
    identification: view.getUint16(4),
    dontFragment: (flagsAndOffset & FLAG_DONT_FRAGMENT) !== 0,
    moreFragments: (flagsAndOffset & FLAG_MORE_FRAGMENTS) !== 0,
    fragmentOffsetBytes,
    ttl: bytes[offset + 8],
    protocol,
    checksum,
    expectedChecksum: sameChecksum(checksum, correct) ? undefined : correct,
    missingBytes: Math.max(0, offset + totalLength - end),
  };
  const contentEnd = Math.min(end, offset + totalLength);
  const enclosing: EnclosingIp = {
    version: 4,
    src: bytes.slice(offset + 12, offset + 16),
    dst: bytes.slice(offset + 16, offset + 20),
    fragment: layer.moreFragments || fragmentOffsetBytes !== 0,
  };
  const step = { ok: true as const, layer, nextOffset: offset + headerLength, end: contentEnd, enclosing };
  // Only the first fragment starts with the transport header.
  if (fragmentOffsetBytes !== 0) return { ...step, next: undefined, carrier: "a non-first fragment" };
  return { ...step, ...afterIpProtocol(protocol, 4) };
}

export function describeIpv4(decoded: DecodedIpv4): string {
  const parts = [`IPv4 ${decoded.src} > ${decoded.dst} ttl ${decoded.ttl}`];
  if (decoded.tos !== 0) parts.push(`tos 0x${decoded.tos.toString(16)}`);
  if (decoded.headerLength > IPV4_MIN_HEADER_BYTES) parts.push(`options ${decoded.headerLength - IPV4_MIN_HEADER_BYTES} bytes`);
  if (decoded.dontFragment) parts.push("DF");
  if (decoded.moreFragments || decoded.fragmentOffsetBytes !== 0) {
    parts.push(`frag id ${decoded.identification} off ${decoded.fragmentOffsetBytes}${decoded.moreFragments ? "+" : ""}`);
  }
  if (decoded.expectedChecksum !== undefined) parts.push(badChecksum(decoded.checksum, decoded.expectedChecksum));
  if (decoded.missingBytes > 0) parts.push(`total length ${decoded.totalLength} but ${decoded.missingBytes} bytes missing`);
  return parts.join(" ");
}

// What an IP protocol / next-header number announces.
export function afterIpProtocol(protocol: number, ipVersion: 4 | 6): { next: NextKind | undefined; carrier?: string } {
  switch (protocol) {
    case IpProtocol.TCP:
      return { next: "tcp" };
    case IpProtocol.UDP:
      return { next: "udp" };
    case IpProtocol.ICMP:
      return ipVersion === 4 ? { next: "icmp" } : { next: undefined, carrier: "ICMP (for IPv4) inside IPv6" };
    case IpProtocol.ICMPV6:
      return { next: "icmpv6" };
    case IpProtocol.GRE:
      return { next: "gre" };
    case IpProtocol.IPV4:
      return { next: "ipv4" };
    case IpProtocol.IPV6:
      return { next: "ipv6" };
    default:
      return { next: undefined, carrier: `IP protocol ${protocol}` };
  }
}

// 0x0000 and 0xffff are the same one's complement number.
export function sameChecksum(actual: number, correct: number): boolean {
  return actual === correct || (actual === 0 && correct === 0xffff) || (actual === 0xffff && correct === 0);
}

export function badChecksum(actual: number, expected: number): string {
  return `bad cksum 0x${actual.toString(16).padStart(4, "0")} (expected 0x${expected.toString(16).padStart(4, "0")})`;
}
