// The UDP header (RFC 768): ports, length (header + data), and a checksum over
// an IP pseudo-header; a computed 0 is sent as 0xffff, and 0 means "none" (IPv4 only).
import { PacketBuildError } from "../errors.ts";
import { wrongChecksum } from "./checksum.ts";
import { needBytes, type DecodeStep, type DecodedUdp, type EnclosingIp } from "./decoded.ts";
import { badChecksum } from "./ipv4.ts";
import { fieldValue, placedAt, resolveChecksum, type ChecksumChoice, type Frame, type UdpLayer } from "./layer.ts";
import { IpProtocol, VXLAN_UDP_PORT } from "./protocol-numbers.ts";
import { checksumWithPseudoHeader, enclosingIp, verifyWithPseudoHeader } from "./transport-checksum.ts";

export const UDP_HEADER_BYTES = 8;
// Where the checksum field is, from the start of the header.
export const UDP_CHECKSUM_AT = 6;
const CHECKSUM_AT = UDP_CHECKSUM_AT;
const NO_CHECKSUM = 0;

export interface UdpOptions {
  readonly srcPort: number;
  readonly dstPort: number;
  // Overrides: a length that need not be the true one; a checksum choice, or "none" (0).
  readonly length?: number;
  readonly checksum?: ChecksumChoice | "none";
}

export function udpLayer(options: UdpOptions): UdpLayer {
  return {
    kind: "udp",
    srcPort: fieldValue(options.srcPort, 0xffff, "UDP", "source port"),
    dstPort: fieldValue(options.dstPort, 0xffff, "UDP", "destination port"),
    length: options.length === undefined ? undefined : fieldValue(options.length, 0xffff, "UDP", "length"),
    checksum: options.checksum ?? "correct",
  };
}

export function writeUdp(frame: Frame, index: number): void {
  const { layer, offset, end } = placedAt<UdpLayer>(frame, index);
  const length = layer.length ?? end - offset;
  if (length > 0xffff) throw new PacketBuildError("UDP", `a datagram of ${length} bytes exceeds the 65535 the length field can say`);
  frame.view.setUint16(offset, layer.srcPort);
  frame.view.setUint16(offset + 2, layer.dstPort);
  frame.view.setUint16(offset + 4, length);
  frame.view.setUint16(offset + CHECKSUM_AT, 0);
}

export function sealUdp(frame: Frame, index: number): void {
  const { layer, offset, end } = placedAt<UdpLayer>(frame, index);
  if (layer.checksum === "none") {
    frame.view.setUint16(offset + CHECKSUM_AT, NO_CHECKSUM);
    return;
  }
  const ip = enclosingIp(frame, index);
  if (ip === undefined) throw new PacketBuildError("UDP", "a UDP header needs an IPv4 or IPv6 layer around it");
  const computed = checksumWithPseudoHeader(frame.bytes, offset, end, offset + CHECKSUM_AT, ip, IpProtocol.UDP);
  // RFC 768: a computed checksum of zero is transmitted as all ones.
  const correct = computed === 0 ? 0xffff : computed;
  frame.view.setUint16(offset + CHECKSUM_AT, resolveChecksum(layer.checksum, correct, wrongChecksum));
}

export function decodeUdp(
  bytes: Uint8Array,
  offset: number,
  end: number,
  ip: EnclosingIp | undefined,
  complete: boolean,
): DecodeStep<DecodedUdp> {
  const short = needBytes("UDP header", UDP_HEADER_BYTES, offset, end);
  if (short) return short;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, UDP_HEADER_BYTES);
  const length = view.getUint16(4);
  if (length < UDP_HEADER_BYTES) return { ok: false, reason: `UDP length ${length} is shorter than its 8-byte header` };
  const checksum = view.getUint16(CHECKSUM_AT);
  const datagramEnd = Math.min(end, offset + length);
  const whole = complete && offset + length <= end;
  const checksumVerdict =
    checksum === NO_CHECKSUM && ip?.version === 4
      ? ({ kind: "absent" } as const)
      : verifyWithPseudoHeader(bytes, offset, offset + length, offset + CHECKSUM_AT, ip, IpProtocol.UDP, whole);
  const dstPort = view.getUint16(2);
  return {
    ok: true,
    layer: { kind: "udp", offset, srcPort: view.getUint16(0), dstPort, length, checksum, checksumVerdict },
    next: dstPort === VXLAN_UDP_PORT ? "vxlan" : undefined,
    nextOffset: offset + UDP_HEADER_BYTES,
    end: datagramEnd,
  };
}

export function describeUdp(decoded: DecodedUdp, available: number): string {
  const parts = [`UDP ${decoded.srcPort} > ${decoded.dstPort} len ${decoded.length}`];
  if (decoded.length > available) parts.push(`(${decoded.length - available} bytes missing)`);
  if (decoded.checksumVerdict.kind === "bad") parts.push(badChecksum(decoded.checksum, decoded.checksumVerdict.expected));
  if (decoded.checksumVerdict.kind === "absent") parts.push("no cksum");
  return parts.join(" ");
}
