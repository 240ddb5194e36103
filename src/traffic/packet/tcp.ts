// The TCP header (RFC 9293 section 3.1): ports, sequence and acknowledgment
// numbers, data offset, flags, window, checksum (over an IP pseudo-header),
// urgent pointer, then options padded to a multiple of four bytes.
import { PacketBuildError } from "../errors.ts";
import { wrongChecksum } from "./checksum.ts";
import { needBytes, type DecodeStep, type DecodedTcp, type EnclosingIp } from "./decoded.ts";
import { badChecksum } from "./ipv4.ts";
import { fieldValue, placedAt, resolveChecksum, type ChecksumChoice, type Frame, type TcpLayer, type TcpOption } from "./layer.ts";
import { IpProtocol } from "./protocol-numbers.ts";
import { checksumWithPseudoHeader, enclosingIp, verifyWithPseudoHeader } from "./transport-checksum.ts";

export const TCP_MIN_HEADER_BYTES = 20;
const TCP_MAX_OPTION_BYTES = 40;
// Where the checksum field is, from the start of the header.
export const TCP_CHECKSUM_AT = 16;
const CHECKSUM_AT = TCP_CHECKSUM_AT;

export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

// One letter per flag for `flags: "SA"`: F S R P A U E C.
const FLAG_LETTERS: Readonly<Record<string, number>> = {
  F: TcpFlag.FIN,
  S: TcpFlag.SYN,
  R: TcpFlag.RST,
  P: TcpFlag.PSH,
  A: TcpFlag.ACK,
  U: TcpFlag.URG,
  E: TcpFlag.ECE,
  C: TcpFlag.CWR,
};

// Option kinds (IANA "TCP Option Kind Numbers"; RFC 9293, RFC 7323, RFC 2018).
export const TcpOptionKind = { END: 0, NOP: 1, MSS: 2, WINDOW_SCALE: 3, SACK_PERMITTED: 4, SACK: 5, TIMESTAMPS: 8 } as const;
// The MSS option: kind, length, a 16-bit MSS (RFC 9293 section 3.2).
export const TCP_MSS_OPTION_BYTES = 4;

export interface TcpOptions {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq?: number;
  readonly ack?: number;
  // Letters F S R P A U E C ("SA" is SYN+ACK), or the flag byte. SYN by default.
  readonly flags?: string | number;
  readonly window?: number;
  readonly urgentPointer?: number;
  readonly options?: readonly TcpOption[];
  // Overrides: a data offset (in 32-bit words) or checksum that need not be the true one.
  readonly dataOffsetWords?: number;
  readonly checksum?: ChecksumChoice;
}

export function tcpLayer(options: TcpOptions): TcpLayer {
  const name = "TCP";
  const encodedOptions = encodeTcpOptions(options.options ?? []);
  return {
    kind: "tcp",
    srcPort: fieldValue(options.srcPort, 0xffff, name, "source port"),
    dstPort: fieldValue(options.dstPort, 0xffff, name, "destination port"),
    seq: fieldValue(options.seq ?? 0, 0xffffffff, name, "sequence number"),
    ack: fieldValue(options.ack ?? 0, 0xffffffff, name, "acknowledgment number"),
    flags: parseFlags(options.flags ?? "S"),
    window: fieldValue(options.window ?? 0xffff, 0xffff, name, "window"),
    urgentPointer: fieldValue(options.urgentPointer ?? 0, 0xffff, name, "urgent pointer"),
    options: encodedOptions,
    dataOffsetWords: options.dataOffsetWords === undefined ? undefined : fieldValue(options.dataOffsetWords, 0xf, name, "data offset"),
    checksum: options.checksum ?? "correct",
  };
}

function parseFlags(flags: string | number): number {
  if (typeof flags === "number") return fieldValue(flags, 0xff, "TCP", "flags");
  let value = 0;
  for (const letter of flags.toUpperCase()) {
    const bit = FLAG_LETTERS[letter];
    if (bit === undefined) throw new PacketBuildError("TCP", `flag letter "${letter}" is not one of F S R P A U E C`);
    value |= bit;
  }
  return value;
}

export function encodeTcpOptions(options: readonly TcpOption[]): Uint8Array {
  const bytes: number[] = [];
  const u16 = (value: number): number[] => [(value >> 8) & 0xff, value & 0xff];
  const u32 = (value: number): number[] => [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
  for (const option of options) {
    switch (option.kind) {
      case "end":
        bytes.push(TcpOptionKind.END);
        break;
      case "nop":
        bytes.push(TcpOptionKind.NOP);
        break;
      case "mss":
        bytes.push(TcpOptionKind.MSS, TCP_MSS_OPTION_BYTES, ...u16(fieldValue(option.value, 0xffff, "TCP", "MSS")));
        break;
      case "window-scale":
        bytes.push(TcpOptionKind.WINDOW_SCALE, 3, fieldValue(option.shift, 0xff, "TCP", "window scale"));
        break;
      case "sack-permitted":
        bytes.push(TcpOptionKind.SACK_PERMITTED, 2);
        break;
      case "sack":
        bytes.push(
          TcpOptionKind.SACK,
          2 + 8 * option.blocks.length,
          ...option.blocks.flatMap(([left, right]) => [...u32(fieldValue(left, 0xffffffff, "TCP", "SACK edge")), ...u32(fieldValue(right, 0xffffffff, "TCP", "SACK edge"))]),
        );
        break;
      case "timestamps":
        bytes.push(
          TcpOptionKind.TIMESTAMPS,
          10,
          ...u32(fieldValue(option.value, 0xffffffff, "TCP", "timestamp value")),
          ...u32(fieldValue(option.echo, 0xffffffff, "TCP", "timestamp echo")),
        );
        break;
      case "raw":
        bytes.push(fieldValue(option.type, 0xff, "TCP", "option kind"), 2 + option.data.length, ...option.data);
        break;
    }
  }
  if (bytes.length > TCP_MAX_OPTION_BYTES) {
    throw new PacketBuildError("TCP", `${bytes.length} bytes of options do not fit the ${TCP_MAX_OPTION_BYTES} a TCP header allows`);
  }
  const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
  padded.set(bytes);
  return padded;
}

export function tcpHeaderLength(layer: TcpLayer): number {
  return TCP_MIN_HEADER_BYTES + layer.options.length;
}

export function writeTcp(frame: Frame, index: number): void {
  const { layer, offset, headerLength } = placedAt<TcpLayer>(frame, index);
  const { view, bytes } = frame;
  view.setUint16(offset, layer.srcPort);
  view.setUint16(offset + 2, layer.dstPort);
  view.setUint32(offset + 4, layer.seq);
  view.setUint32(offset + 8, layer.ack);
  bytes[offset + 12] = (layer.dataOffsetWords ?? headerLength / 4) << 4;
  bytes[offset + 13] = layer.flags;
  view.setUint16(offset + 14, layer.window);
  view.setUint16(offset + CHECKSUM_AT, 0);
  view.setUint16(offset + 18, layer.urgentPointer);
  bytes.set(layer.options, offset + TCP_MIN_HEADER_BYTES);
}

export function sealTcp(frame: Frame, index: number): void {
  const { layer, offset, end } = placedAt<TcpLayer>(frame, index);
  const ip = enclosingIp(frame, index);
  if (ip === undefined) throw new PacketBuildError("TCP", "a TCP header needs an IPv4 or IPv6 layer around it");
  const correct = checksumWithPseudoHeader(frame.bytes, offset, end, offset + CHECKSUM_AT, ip, IpProtocol.TCP);
  frame.view.setUint16(offset + CHECKSUM_AT, resolveChecksum(layer.checksum, correct, wrongChecksum));
}

export function decodeTcp(
  bytes: Uint8Array,
  offset: number,
  end: number,
  ip: EnclosingIp | undefined,
  complete: boolean,
): DecodeStep<DecodedTcp> {
  const short = needBytes("TCP header", TCP_MIN_HEADER_BYTES, offset, end);
  if (short) return short;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, TCP_MIN_HEADER_BYTES);
  const headerLength = (bytes[offset + 12] >> 4) * 4;
  if (headerLength < TCP_MIN_HEADER_BYTES) return { ok: false, reason: `TCP data offset says a ${headerLength}-byte header, below 20` };
  const shortOptions = needBytes("TCP header with options", headerLength, offset, end);
  if (shortOptions) return shortOptions;
  return {
    ok: true,
    layer: {
      kind: "tcp",
      offset,
      srcPort: view.getUint16(0),
      dstPort: view.getUint16(2),
      seq: view.getUint32(4),
      ack: view.getUint32(8),
      headerLength,
      flags: bytes[offset + 13],
      window: view.getUint16(14),
      checksum: view.getUint16(CHECKSUM_AT),
      checksumVerdict: verifyWithPseudoHeader(bytes, offset, end, offset + CHECKSUM_AT, ip, IpProtocol.TCP, complete),
      urgentPointer: view.getUint16(18),
      options: describeTcpOptions(bytes, offset + TCP_MIN_HEADER_BYTES, offset + headerLength),
      payloadLength: end - offset - headerLength,
    },
    next: undefined,
    nextOffset: offset + headerLength,
    end,
  };
}

function describeTcpOptions(bytes: Uint8Array, start: number, end: number): string[] {
  const described: string[] = [];
  const u32 = (at: number): number => ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
  let at = start;
  while (at < end) {
    const kind = bytes[at];
    if (kind === TcpOptionKind.END) {
      described.push("eol");
      break;
    }
    if (kind === TcpOptionKind.NOP) {
      described.push("nop");
      at++;
      continue;
    }
    const length = at + 1 < end ? bytes[at + 1] : 0;
    if (length < 2 || at + length > end) {
      described.push(`bad option ${kind}`);
      break;
    }
    if (kind === TcpOptionKind.MSS && length === TCP_MSS_OPTION_BYTES) described.push(`mss ${(bytes[at + 2] << 8) | bytes[at + 3]}`);
    else if (kind === TcpOptionKind.WINDOW_SCALE && length === 3) described.push(`wscale ${bytes[at + 2]}`);
    else if (kind === TcpOptionKind.SACK_PERMITTED && length === 2) described.push("sackOK");
    else if (kind === TcpOptionKind.TIMESTAMPS && length === 10) described.push(`TS val ${u32(at + 2)} ecr ${u32(at + 6)}`);
    else if (kind === TcpOptionKind.SACK && (length - 2) % 8 === 0) {
      const blocks: string[] = [];
      for (let b = at + 2; b < at + length; b += 8) blocks.push(`${u32(b)}:${u32(b + 4)}`);
      described.push(`sack ${blocks.join(" ")}`);
    } else described.push(`option ${kind} len ${length}`);
    at += length;
  }
  return described;
}

// tcpdump's convention: one letter per flag, "." for ACK.
const FLAG_NAMES: readonly (readonly [number, string])[] = [
  [TcpFlag.FIN, "F"],
  [TcpFlag.SYN, "S"],
  [TcpFlag.RST, "R"],
  [TcpFlag.PSH, "P"],
  [TcpFlag.ACK, "."],
  [TcpFlag.URG, "U"],
  [TcpFlag.ECE, "E"],
  [TcpFlag.CWR, "W"],
];

export function describeTcp(decoded: DecodedTcp): string {
  const flags = FLAG_NAMES.filter(([bit]) => (decoded.flags & bit) !== 0)
    .map(([, letter]) => letter)
    .join("");
  const parts = [`TCP ${decoded.srcPort} > ${decoded.dstPort} [${flags || "none"}] seq ${decoded.seq}`];
  if ((decoded.flags & TcpFlag.ACK) !== 0) parts.push(`ack ${decoded.ack}`);
  parts.push(`win ${decoded.window}`);
  if (decoded.options.length > 0) parts.push(`options [${decoded.options.join(",")}]`);
  parts.push(`len ${decoded.payloadLength}`);
  if (decoded.checksumVerdict.kind === "bad") parts.push(badChecksum(decoded.checksum, decoded.checksumVerdict.expected));
  return parts.join(" ");
}
