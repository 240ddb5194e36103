// ICMP (RFC 792) and ICMPv6 (RFC 4443) share one header: type, code, checksum,
// and four bytes whose meaning depends on the type (identifier and sequence
// number for echo). The ICMP checksum covers the message; ICMPv6's also an IPv6 pseudo-header.
import { PacketBuildError } from "../errors.ts";
import { checksumOf, internetChecksum, sumWords, wrongChecksum } from "./checksum.ts";
import { needBytes, type DecodeStep, type DecodedIcmp, type EnclosingIp } from "./decoded.ts";
import { badChecksum, sameChecksum } from "./ipv4.ts";
import { fieldValue, placedAt, resolveChecksum, type ChecksumChoice, type Frame, type IcmpLayer } from "./layer.ts";
import { IpProtocol } from "./protocol-numbers.ts";
import { checksumWithPseudoHeader, enclosingIp, verifyWithPseudoHeader } from "./transport-checksum.ts";

export const ICMP_HEADER_BYTES = 8;
// Where the checksum field is, from the start of the header.
export const ICMP_CHECKSUM_AT = 2;
const CHECKSUM_AT = ICMP_CHECKSUM_AT;

export const IcmpType = {
  ECHO_REPLY: 0,
  DESTINATION_UNREACHABLE: 3,
  REDIRECT: 5,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
  PARAMETER_PROBLEM: 12,
} as const;

export const Icmpv6Type = {
  DESTINATION_UNREACHABLE: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  PARAMETER_PROBLEM: 4,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
  ROUTER_SOLICITATION: 133,
  ROUTER_ADVERTISEMENT: 134,
  NEIGHBOR_SOLICITATION: 135,
  NEIGHBOR_ADVERTISEMENT: 136,
} as const;

const ICMP_NAMES: Readonly<Record<number, string>> = {
  [IcmpType.ECHO_REPLY]: "echo reply",
  [IcmpType.DESTINATION_UNREACHABLE]: "unreachable",
  [IcmpType.REDIRECT]: "redirect",
  [IcmpType.ECHO_REQUEST]: "echo request",
  [IcmpType.TIME_EXCEEDED]: "time exceeded",
  [IcmpType.PARAMETER_PROBLEM]: "parameter problem",
};

const ICMPV6_NAMES: Readonly<Record<number, string>> = {
  [Icmpv6Type.DESTINATION_UNREACHABLE]: "unreachable",
  [Icmpv6Type.PACKET_TOO_BIG]: "packet too big",
  [Icmpv6Type.TIME_EXCEEDED]: "time exceeded",
  [Icmpv6Type.PARAMETER_PROBLEM]: "parameter problem",
  [Icmpv6Type.ECHO_REQUEST]: "echo request",
  [Icmpv6Type.ECHO_REPLY]: "echo reply",
  [Icmpv6Type.ROUTER_SOLICITATION]: "router solicitation",
  [Icmpv6Type.ROUTER_ADVERTISEMENT]: "router advertisement",
  [Icmpv6Type.NEIGHBOR_SOLICITATION]: "neighbor solicitation",
  [Icmpv6Type.NEIGHBOR_ADVERTISEMENT]: "neighbor advertisement",
};

export interface IcmpOptions {
  readonly type: number;
  readonly code?: number;
  // For echo messages.
  readonly identifier?: number;
  readonly sequence?: number;
  // Or the four bytes after the checksum, whole (for other types).
  readonly restOfHeader?: number;
  readonly checksum?: ChecksumChoice;
}

export function icmpLayer(options: IcmpOptions, kind: "icmp" | "icmpv6"): IcmpLayer {
  const name = kind === "icmp" ? "ICMP" : "ICMPv6";
  const echo = options.identifier !== undefined || options.sequence !== undefined;
  if (echo && options.restOfHeader !== undefined) {
    throw new PacketBuildError(name, "give either identifier/sequence or restOfHeader, not both");
  }
  const restOfHeader = echo
    ? fieldValue(options.identifier ?? 0, 0xffff, name, "identifier") * 0x10000 + fieldValue(options.sequence ?? 0, 0xffff, name, "sequence")
    : fieldValue(options.restOfHeader ?? 0, 0xffffffff, name, "rest of header");
  return {
    kind,
    type: fieldValue(options.type, 0xff, name, "type"),
    code: fieldValue(options.code ?? 0, 0xff, name, "code"),
    restOfHeader,
    checksum: options.checksum ?? "correct",
  };
}

export function writeIcmp(frame: Frame, index: number): void {
  const { layer, offset } = placedAt<IcmpLayer>(frame, index);
  frame.bytes[offset] = layer.type;
  frame.bytes[offset + 1] = layer.code;
  frame.view.setUint16(offset + CHECKSUM_AT, 0);
  frame.view.setUint32(offset + 4, layer.restOfHeader);
}

export function sealIcmp(frame: Frame, index: number): void {
  const { layer, offset, end } = placedAt<IcmpLayer>(frame, index);
  let correct: number;
  if (layer.kind === "icmp") {
    correct = internetChecksum(frame.bytes, offset, end);
  } else {
    const ip = enclosingIp(frame, index);
    if (ip === undefined || ip.version !== 6) throw new PacketBuildError("ICMPv6", "an ICMPv6 header needs an IPv6 layer around it");
    correct = checksumWithPseudoHeader(frame.bytes, offset, end, offset + CHECKSUM_AT, ip, IpProtocol.ICMPV6);
  }
  frame.view.setUint16(offset + CHECKSUM_AT, resolveChecksum(layer.checksum, correct, wrongChecksum));
}

export function decodeIcmp(
  bytes: Uint8Array,
  offset: number,
  end: number,
  kind: "icmp" | "icmpv6",
  ip: EnclosingIp | undefined,
  complete: boolean,
): DecodeStep<DecodedIcmp> {
  const short = needBytes(kind === "icmp" ? "ICMP header" : "ICMPv6 header", ICMP_HEADER_BYTES, offset, end);
  if (short) return short;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, ICMP_HEADER_BYTES);
  const checksum = view.getUint16(CHECKSUM_AT);
  let checksumVerdict: DecodedIcmp["checksumVerdict"];
  if (kind === "icmpv6") {
    checksumVerdict = verifyWithPseudoHeader(bytes, offset, end, offset + CHECKSUM_AT, ip, IpProtocol.ICMPV6, complete);
  } else if (!complete || ip?.fragment) {
    checksumVerdict = { kind: "unchecked" };
  } else {
    const expected = checksumOf(sumWords(bytes, offset, end) - checksum);
    checksumVerdict = sameChecksum(checksum, expected) ? { kind: "ok" } : { kind: "bad", expected };
  }
  return {
    ok: true,
    layer: { kind, offset, type: bytes[offset], code: bytes[offset + 1], checksum, checksumVerdict, restOfHeader: view.getUint32(4) },
    next: undefined,
    nextOffset: offset + ICMP_HEADER_BYTES,
    end,
  };
}

export function describeIcmp(decoded: DecodedIcmp): string {
  const names = decoded.kind === "icmp" ? ICMP_NAMES : ICMPV6_NAMES;
  const label = decoded.kind === "icmp" ? "ICMP" : "ICMPv6";
  const name = names[decoded.type];
  const parts = [name === undefined ? `${label} type ${decoded.type}` : `${label} ${name}`];
  if (decoded.code !== 0 || name === undefined) parts.push(`code ${decoded.code}`);
  const isEcho =
    decoded.kind === "icmp"
      ? decoded.type === IcmpType.ECHO_REQUEST || decoded.type === IcmpType.ECHO_REPLY
      : decoded.type === Icmpv6Type.ECHO_REQUEST || decoded.type === Icmpv6Type.ECHO_REPLY;
  if (isEcho) parts.push(`id ${decoded.restOfHeader >>> 16} seq ${decoded.restOfHeader & 0xffff}`);
  if (decoded.checksumVerdict.kind === "bad") parts.push(badChecksum(decoded.checksum, decoded.checksumVerdict.expected));
  return parts.join(" ");
}
