// Checksums that cover a pseudo-header of the enclosing IP layer (TCP, UDP,
// ICMPv6): computing them while building, verifying them while decoding.
import { checksumOf, ipv4PseudoHeaderSum, ipv6PseudoHeaderSum, sumWords } from "./checksum.ts";
import type { ChecksumVerdict, EnclosingIp } from "./decoded.ts";
import { ipv4Enclosing, sameChecksum } from "./ipv4.ts";
import { ipv6Enclosing } from "./ipv6.ts";
import type { Frame, Ipv4Layer, Ipv6Layer } from "./layer.ts";

// The nearest IP layer outside the layer at `index`.
export function enclosingIp(frame: Frame, index: number): EnclosingIp | undefined {
  for (let i = index - 1; i >= 0; i--) {
    const layer = frame.placed[i].layer;
    if (layer.kind === "ipv4") return ipv4Enclosing(layer as Ipv4Layer);
    if (layer.kind === "ipv6") return ipv6Enclosing(layer as Ipv6Layer);
  }
  return undefined;
}

export function pseudoHeaderSum(ip: EnclosingIp, protocol: number, length: number): number {
  return ip.version === 4 ? ipv4PseudoHeaderSum(ip.src, ip.dst, protocol, length) : ipv6PseudoHeaderSum(ip.src, ip.dst, protocol, length);
}

// The right checksum of bytes[start, end) whose checksum field (at checksumAt) is treated as zero.
export function checksumWithPseudoHeader(
  bytes: Uint8Array,
  start: number,
  end: number,
  checksumAt: number,
  ip: EnclosingIp,
  protocol: number,
): number {
  const field = (bytes[checksumAt] << 8) | bytes[checksumAt + 1];
  return checksumOf(sumWords(bytes, start, end, pseudoHeaderSum(ip, protocol, end - start)) - field);
}

// Verifies a transport checksum if the bytes it covers are all present and belong to one unfragmented packet.
export function verifyWithPseudoHeader(
  bytes: Uint8Array,
  start: number,
  end: number,
  checksumAt: number,
  ip: EnclosingIp | undefined,
  protocol: number,
  complete: boolean,
): ChecksumVerdict {
  if (ip === undefined || ip.fragment || !complete) return { kind: "unchecked" };
  const actual = (bytes[checksumAt] << 8) | bytes[checksumAt + 1];
  const expected = checksumWithPseudoHeader(bytes, start, end, checksumAt, ip, protocol);
  return sameChecksum(actual, expected) ? { kind: "ok" } : { kind: "bad", expected };
}
