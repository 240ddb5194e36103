// GRE (RFC 2784) with the key and sequence number extensions of RFC 2890: a
// flags word (C = checksum present, K = key, S = sequence; version 0), the
// protocol type (an EtherType), then the optional fields in that order. The
// checksum covers the GRE header and its payload.
import { needBytes, type DecodeStep, type DecodedGre } from "./decoded.ts";
import { afterEtherType } from "./ethernet.ts";
import { checksumOf, internetChecksum, sumWords, wrongChecksum } from "./checksum.ts";
import { sameChecksum } from "./ipv4.ts";
import { etherTypeFor, fieldValue, nextLayer, placedAt, resolveChecksum, type ChecksumChoice, type Frame, type GreLayer } from "./layer.ts";

const GRE_BASE_BYTES = 4;
const OPTIONAL_FIELD_BYTES = 4;
const FLAG_CHECKSUM = 0x8000;
// RFC 1701's routing-present bit; RFC 2784 requires it clear.
const FLAG_ROUTING = 0x4000;
const FLAG_KEY = 0x2000;
const FLAG_SEQUENCE = 0x1000;
const VERSION_MASK = 0x0007;

export interface GreOptions {
  readonly withChecksum?: boolean;
  readonly key?: number;
  readonly sequence?: number;
  // Else taken from the next layer (0x0800 IPv4, 0x86dd IPv6, 0x6558 Ethernet).
  readonly protocolType?: number;
  readonly checksum?: ChecksumChoice;
}

export function greLayer(options: GreOptions = {}): GreLayer {
  return {
    kind: "gre",
    withChecksum: options.withChecksum ?? options.checksum !== undefined,
    key: options.key === undefined ? undefined : fieldValue(options.key, 0xffffffff, "GRE", "key"),
    sequence: options.sequence === undefined ? undefined : fieldValue(options.sequence, 0xffffffff, "GRE", "sequence number"),
    protocolType: options.protocolType === undefined ? undefined : fieldValue(options.protocolType, 0xffff, "GRE", "protocol type"),
    checksum: options.checksum ?? "correct",
  };
}

export function greHeaderLength(layer: GreLayer): number {
  const optional = [layer.withChecksum, layer.key !== undefined, layer.sequence !== undefined].filter(Boolean).length;
  return GRE_BASE_BYTES + optional * OPTIONAL_FIELD_BYTES;
}

export function writeGre(frame: Frame, index: number): void {
  const { layer, offset } = placedAt<GreLayer>(frame, index);
  const { view } = frame;
  const flags = (layer.withChecksum ? FLAG_CHECKSUM : 0) | (layer.key !== undefined ? FLAG_KEY : 0) | (layer.sequence !== undefined ? FLAG_SEQUENCE : 0);
  view.setUint16(offset, flags);
  view.setUint16(offset + 2, etherTypeFor(nextLayer(frame, index), layer.protocolType));
  let at = offset + GRE_BASE_BYTES;
  if (layer.withChecksum) {
    view.setUint32(at, 0);
    at += OPTIONAL_FIELD_BYTES;
  }
  if (layer.key !== undefined) {
    view.setUint32(at, layer.key);
    at += OPTIONAL_FIELD_BYTES;
  }
  if (layer.sequence !== undefined) view.setUint32(at, layer.sequence);
}

export function sealGre(frame: Frame, index: number): void {
  const { layer, offset, end } = placedAt<GreLayer>(frame, index);
  if (!layer.withChecksum) return;
  const correct = internetChecksum(frame.bytes, offset, end);
  frame.view.setUint16(offset + GRE_BASE_BYTES, resolveChecksum(layer.checksum, correct, wrongChecksum));
}

export function decodeGre(bytes: Uint8Array, offset: number, end: number, complete: boolean): DecodeStep<DecodedGre> {
  const short = needBytes("GRE header", GRE_BASE_BYTES, offset, end);
  if (short) return short;
  const flags = (bytes[offset] << 8) | bytes[offset + 1];
  const protocolType = (bytes[offset + 2] << 8) | bytes[offset + 3];
  const version = flags & VERSION_MASK;
  if ((flags & FLAG_ROUTING) !== 0) return { ok: false, reason: "GRE header has the RFC 1701 routing bit set" };
  const headerLength =
    GRE_BASE_BYTES + [(flags & FLAG_CHECKSUM) !== 0, (flags & FLAG_KEY) !== 0, (flags & FLAG_SEQUENCE) !== 0].filter(Boolean).length * OPTIONAL_FIELD_BYTES;
  const shortOptional = needBytes("GRE header with its optional fields", headerLength, offset, end);
  if (shortOptional) return shortOptional;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, headerLength);
  let at = GRE_BASE_BYTES;
  let checksumVerdict: DecodedGre["checksumVerdict"] = { kind: "absent" };
  if ((flags & FLAG_CHECKSUM) !== 0) {
    const checksum = view.getUint16(at);
    if (!complete) checksumVerdict = { kind: "unchecked" };
    else {
      const expected = checksumOf(sumWords(bytes, offset, end) - checksum);
      checksumVerdict = sameChecksum(checksum, expected) ? { kind: "ok" } : { kind: "bad", expected };
    }
    at += OPTIONAL_FIELD_BYTES;
  }
  let key: number | undefined;
  if ((flags & FLAG_KEY) !== 0) {
    key = view.getUint32(at);
    at += OPTIONAL_FIELD_BYTES;
  }
  const sequence = (flags & FLAG_SEQUENCE) !== 0 ? view.getUint32(at) : undefined;
  const layer: DecodedGre = { kind: "gre", offset, version, protocolType, key, sequence, checksumVerdict };
  if (version !== 0) return { ok: true, layer, next: undefined, carrier: `GRE version ${version}`, nextOffset: offset + headerLength, end };
  return { ok: true, layer, ...afterEtherType(protocolType), nextOffset: offset + headerLength, end };
}

export function describeGre(decoded: DecodedGre): string {
  const parts = ["GRE"];
  if (decoded.version !== 0) parts.push(`version ${decoded.version}`);
  if (decoded.key !== undefined) parts.push(`key 0x${decoded.key.toString(16)}`);
  if (decoded.sequence !== undefined) parts.push(`seq ${decoded.sequence}`);
  if (decoded.checksumVerdict.kind === "bad") parts.push(`bad cksum (expected 0x${decoded.checksumVerdict.expected.toString(16).padStart(4, "0")})`);
  return parts.join(" ");
}
