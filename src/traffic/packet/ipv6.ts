// The IPv6 header (RFC 8200 section 3), 40 bytes, and the extension headers
// this project builds and decodes: Hop-by-Hop Options (4.3), Routing (4.4),
// Fragment (4.5) and Destination Options (4.6). Each extension header names
// the next one; the last names the upper-layer protocol.
import { PacketBuildError } from "../errors.ts";
import { formatIpv6, parseIpv6, type AddressInput, IPV6_ADDRESS_BYTES } from "./address.ts";
import { needBytes, type DecodeStep, type DecodedIpv6, type DecodedIpv6Extension, type EnclosingIp } from "./decoded.ts";
import { afterIpProtocol } from "./ipv4.ts";
import { fieldValue, ipProtocolFor, nextLayer, placedAt, type Frame, type Ipv6Extension, type Ipv6Layer, type Ipv6Option } from "./layer.ts";
import { IpProtocol } from "./protocol-numbers.ts";

export const IPV6_HEADER_BYTES = 40;
const VERSION = 6;
// Extension header lengths count 8-octet units beyond the first 8 octets.
const EXTENSION_UNIT_BYTES = 8;
const FRAGMENT_HEADER_BYTES = 8;
const ROUTING_FIXED_BYTES = 8;
const OPTIONS_FIXED_BYTES = 2;
const FRAGMENT_OFFSET_MASK = 0xfff8;
// The 8-bit length field allows extension headers of up to 256 units of 8 bytes.
const MAX_EXTENSION_BYTES = 256 * 8;
const MAX_ROUTING_ADDRESSES = (MAX_EXTENSION_BYTES - 8) / 16;
const MAX_FLOW_LABEL = 0xfffff;
// Option padding (RFC 8200 section 4.2): Pad1 is one zero byte; PadN is type 1, a length, that many zeros.
const PAD1 = 0;
const PADN = 1;
// RFC 8754: in a Segment Routing Header (routing type 4) the final segment is listed first.
const SEGMENT_ROUTING_TYPE = 4;

export interface Ipv6OptionInput {
  readonly type: number;
  readonly data?: Uint8Array | readonly number[];
}

export type Ipv6ExtensionInput =
  | { readonly kind: "hop-by-hop" | "destination-options"; readonly options?: readonly Ipv6OptionInput[] }
  | { readonly kind: "routing"; readonly routingType?: number; readonly segmentsLeft?: number; readonly addresses: readonly AddressInput[] }
  | { readonly kind: "fragment"; readonly offsetBytes?: number; readonly moreFragments?: boolean; readonly identification?: number };

export interface Ipv6Options {
  readonly src: AddressInput;
  readonly dst: AddressInput;
  readonly hopLimit?: number;
  readonly trafficClass?: number;
  readonly flowLabel?: number;
  readonly extensions?: readonly Ipv6ExtensionInput[];
  // Overrides: the upper-layer protocol (else taken from the next layer) and a payload length that need not be true.
  readonly nextHeader?: number;
  readonly payloadLength?: number;
}

export function ipv6Layer(options: Ipv6Options): Ipv6Layer {
  const name = "IPv6";
  return {
    kind: "ipv6",
    src: parseIpv6(options.src, "IPv6 source"),
    dst: parseIpv6(options.dst, "IPv6 destination"),
    hopLimit: fieldValue(options.hopLimit ?? 64, 0xff, name, "hop limit"),
    trafficClass: fieldValue(options.trafficClass ?? 0, 0xff, name, "traffic class"),
    flowLabel: fieldValue(options.flowLabel ?? 0, MAX_FLOW_LABEL, name, "flow label"),
    extensions: (options.extensions ?? []).map(extension),
    nextHeader: options.nextHeader === undefined ? undefined : fieldValue(options.nextHeader, 0xff, name, "next header"),
    payloadLength: options.payloadLength === undefined ? undefined : fieldValue(options.payloadLength, 0xffff, name, "payload length"),
  };
}

function extension(input: Ipv6ExtensionInput): Ipv6Extension {
  switch (input.kind) {
    case "hop-by-hop":
    case "destination-options":
      return {
        kind: input.kind,
        options: (input.options ?? []).map((option) => {
          const data = Uint8Array.from(option.data ?? []);
          fieldValue(data.length, 0xff, `IPv6 ${input.kind} header`, "option data length");
          return { type: fieldValue(option.type, 0xff, `IPv6 ${input.kind} header`, "option type"), data };
        }),
      };
    case "routing": {
      const addresses = input.addresses.map((address) => parseIpv6(address, "IPv6 routing header address"));
      fieldValue(addresses.length, MAX_ROUTING_ADDRESSES, "IPv6 routing header", "address count");
      return {
        kind: "routing",
        routingType: fieldValue(input.routingType ?? 0, 0xff, "IPv6 routing header", "routing type"),
        segmentsLeft: fieldValue(input.segmentsLeft ?? addresses.length, 0xff, "IPv6 routing header", "segments left"),
        addresses,
      };
    }
    case "fragment": {
      const offsetBytes = input.offsetBytes ?? 0;
      if (offsetBytes % 8 !== 0 || offsetBytes > FRAGMENT_OFFSET_MASK || offsetBytes < 0) {
        throw new PacketBuildError("IPv6 fragment header", `offset ${offsetBytes} is not a multiple of 8 from 0 to ${FRAGMENT_OFFSET_MASK}`);
      }
      return {
        kind: "fragment",
        offsetBytes,
        moreFragments: input.moreFragments ?? false,
        identification: fieldValue(input.identification ?? 0, 0xffffffff, "IPv6 fragment header", "identification"),
      };
    }
  }
}

export function ipv6HeaderLength(layer: Ipv6Layer): number {
  for (const ext of layer.extensions) {
    if (extensionLength(ext) > MAX_EXTENSION_BYTES) {
      throw new PacketBuildError(`IPv6 ${ext.kind} header`, `its options take more than the ${MAX_EXTENSION_BYTES} bytes the length field can say`);
    }
  }
  return IPV6_HEADER_BYTES + layer.extensions.reduce((sum, ext) => sum + extensionLength(ext), 0);
}

function extensionLength(ext: Ipv6Extension): number {
  switch (ext.kind) {
    case "hop-by-hop":
    case "destination-options":
      return roundUp(OPTIONS_FIXED_BYTES + ext.options.reduce((sum, option) => sum + 2 + option.data.length, 0), EXTENSION_UNIT_BYTES);
    case "routing":
      return ROUTING_FIXED_BYTES + ext.addresses.length * IPV6_ADDRESS_BYTES;
    case "fragment":
      return FRAGMENT_HEADER_BYTES;
  }
}

function extensionProtocol(ext: Ipv6Extension): number {
  switch (ext.kind) {
    case "hop-by-hop":
      return IpProtocol.HOP_BY_HOP;
    case "destination-options":
      return IpProtocol.DESTINATION_OPTIONS;
    case "routing":
      return IpProtocol.ROUTING;
    case "fragment":
      return IpProtocol.FRAGMENT;
  }
}

export function writeIpv6(frame: Frame, index: number): void {
  const { layer, offset, end } = placedAt<Ipv6Layer>(frame, index);
  const { bytes, view } = frame;
  const payloadLength = layer.payloadLength ?? end - offset - IPV6_HEADER_BYTES;
  if (payloadLength > 0xffff) {
    throw new PacketBuildError("IPv6", `a payload of ${payloadLength} bytes exceeds the 65535 the payload length can say (jumbograms are not built)`);
  }
  const upper = layer.nextHeader ?? ipProtocolFor(nextLayer(frame, index));
  const chain = [...layer.extensions.map(extensionProtocol), upper];
  view.setUint32(offset, ((VERSION << 28) | (layer.trafficClass << 20) | layer.flowLabel) >>> 0);
  view.setUint16(offset + 4, payloadLength);
  bytes[offset + 6] = chain[0];
  bytes[offset + 7] = layer.hopLimit;
  bytes.set(layer.src, offset + 8);
  bytes.set(layer.dst, offset + 24);
  let at = offset + IPV6_HEADER_BYTES;
  layer.extensions.forEach((ext, i) => {
    const length = extensionLength(ext);
    bytes.fill(0, at, at + length);
    bytes[at] = chain[i + 1];
    switch (ext.kind) {
      case "hop-by-hop":
      case "destination-options":
        bytes[at + 1] = length / EXTENSION_UNIT_BYTES - 1;
        writeOptions(bytes, at + OPTIONS_FIXED_BYTES, at + length, ext.options);
        break;
      case "routing":
        bytes[at + 1] = length / EXTENSION_UNIT_BYTES - 1;
        bytes[at + 2] = ext.routingType;
        bytes[at + 3] = ext.segmentsLeft;
        // Type 4 (RFC 8754) keeps Last Entry here; types 0 and 2 keep 4 reserved zero bytes.
        if (ext.routingType === SEGMENT_ROUTING_TYPE && ext.addresses.length > 0) bytes[at + 4] = ext.addresses.length - 1;
        ext.addresses.forEach((address, k) => bytes.set(address, at + ROUTING_FIXED_BYTES + k * IPV6_ADDRESS_BYTES));
        break;
      case "fragment":
        view.setUint16(at + 2, ext.offsetBytes | (ext.moreFragments ? 1 : 0));
        view.setUint32(at + 4, ext.identification);
        break;
    }
    at += length;
  });
}

function writeOptions(bytes: Uint8Array, start: number, end: number, options: readonly Ipv6Option[]): void {
  let at = start;
  for (const option of options) {
    bytes[at] = option.type;
    bytes[at + 1] = option.data.length;
    bytes.set(option.data, at + 2);
    at += 2 + option.data.length;
  }
  const padding = end - at;
  if (padding === 1) bytes[at] = PAD1;
  else if (padding > 1) {
    bytes[at] = PADN;
    bytes[at + 1] = padding - 2;
  }
}

// The pseudo-header's view of an IPv6 layer being built.
export function ipv6Enclosing(layer: Ipv6Layer): EnclosingIp {
  return {
    version: 6,
    src: layer.src,
    dst: finalDestination(layer.dst, layer.extensions.find((ext) => ext.kind === "routing")),
    fragment: layer.extensions.some((ext) => ext.kind === "fragment"),
  };
}

// RFC 8200 section 8.1: with a routing header, the pseudo-header carries the final destination.
function finalDestination(dst: Uint8Array, routing: Ipv6Extension | undefined): Uint8Array {
  if (routing === undefined || routing.kind !== "routing" || routing.segmentsLeft === 0 || routing.addresses.length === 0) return dst;
  return routing.routingType === SEGMENT_ROUTING_TYPE ? routing.addresses[0] : routing.addresses[routing.addresses.length - 1];
}

export function decodeIpv6(bytes: Uint8Array, offset: number, end: number): DecodeStep<DecodedIpv6> & { enclosing?: EnclosingIp } {
  const short = needBytes("IPv6 header", IPV6_HEADER_BYTES, offset, end);
  if (short) return short;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, IPV6_HEADER_BYTES);
  const first = view.getUint32(0);
  const version = first >>> 28;
  if (version !== VERSION) return { ok: false, reason: `IPv6 header has version ${version}` };
  const payloadLength = view.getUint16(4);
  const contentEnd = Math.min(end, offset + IPV6_HEADER_BYTES + payloadLength);
  const extensions: DecodedIpv6Extension[] = [];
  let protocol = bytes[offset + 6];
  let at = offset + IPV6_HEADER_BYTES;
  let routing: { type: number; segmentsLeft: number; addresses: Uint8Array[] } | undefined;
  let fragmentOffset = 0;
  let fragment = false;
  for (;;) {
    if (protocol === IpProtocol.HOP_BY_HOP || protocol === IpProtocol.DESTINATION_OPTIONS || protocol === IpProtocol.ROUTING) {
      const shortExt = needBytes("IPv6 extension header", ROUTING_FIXED_BYTES, at, contentEnd);
      if (shortExt) return shortExt;
      const length = (bytes[at + 1] + 1) * EXTENSION_UNIT_BYTES;
      const shortBody = needBytes("IPv6 extension header", length, at, contentEnd);
      if (shortBody) return shortBody;
      if (protocol === IpProtocol.ROUTING) {
        const count = Math.floor((length - ROUTING_FIXED_BYTES) / IPV6_ADDRESS_BYTES);
        const addresses = Array.from({ length: count }, (_, k) => bytes.slice(at + ROUTING_FIXED_BYTES + k * 16, at + ROUTING_FIXED_BYTES + (k + 1) * 16));
        routing = { type: bytes[at + 2], segmentsLeft: bytes[at + 3], addresses };
        extensions.push({ kind: "routing", length, routingType: bytes[at + 2], segmentsLeft: bytes[at + 3] });
      } else {
        extensions.push({ kind: protocol === IpProtocol.HOP_BY_HOP ? "hop-by-hop" : "destination-options", length });
      }
      protocol = bytes[at];
      at += length;
    } else if (protocol === IpProtocol.FRAGMENT) {
      const shortFrag = needBytes("IPv6 fragment header", FRAGMENT_HEADER_BYTES, at, contentEnd);
      if (shortFrag) return shortFrag;
      const fragView = new DataView(bytes.buffer, bytes.byteOffset + at, FRAGMENT_HEADER_BYTES);
      const offsetAndFlag = fragView.getUint16(2);
      fragmentOffset = offsetAndFlag & FRAGMENT_OFFSET_MASK;
      fragment = true;
      extensions.push({
        kind: "fragment",
        length: FRAGMENT_HEADER_BYTES,
        offsetBytes: fragmentOffset,
        moreFragments: (offsetAndFlag & 1) !== 0,
        identification: fragView.getUint32(4),
      });
      protocol = bytes[at];
      at += FRAGMENT_HEADER_BYTES;
    } else {
      break;
    }
  }
  const dst = bytes.slice(offset + 24, offset + 40);
  const layer: DecodedIpv6 = {
    kind: "ipv6",
    offset,
    src: formatIpv6(bytes, offset + 8),
    dst: formatIpv6(dst),
    trafficClass: (first >>> 20) & 0xff,
    flowLabel: first & MAX_FLOW_LABEL,
    payloadLength,
    hopLimit: bytes[offset + 7],
    extensions,
    protocol,
    missingBytes: Math.max(0, offset + IPV6_HEADER_BYTES + payloadLength - end),
  };
  const routingExt: Ipv6Extension | undefined =
    routing === undefined ? undefined : { kind: "routing", routingType: routing.type, segmentsLeft: routing.segmentsLeft, addresses: routing.addresses };
  const enclosing: EnclosingIp = { version: 6, src: bytes.slice(offset + 8, offset + 24), dst: finalDestination(dst, routingExt), fragment };
  if (fragmentOffset !== 0) return { ok: true, layer, next: undefined, carrier: "a non-first fragment", nextOffset: at, end: contentEnd, enclosing };
  if (protocol === IpProtocol.NO_NEXT_HEADER) return { ok: true, layer, next: undefined, carrier: "no next header", nextOffset: at, end: contentEnd, enclosing };
  return { ok: true, layer, ...afterIpProtocol(protocol, 6), nextOffset: at, end: contentEnd, enclosing };
}

export function describeIpv6(decoded: DecodedIpv6): string {
  const parts = [`IPv6 ${decoded.src} > ${decoded.dst} hlim ${decoded.hopLimit}`];
  if (decoded.flowLabel !== 0) parts.push(`flow 0x${decoded.flowLabel.toString(16)}`);
  if (decoded.extensions.length > 0) parts.push(`[${decoded.extensions.map(describeExtension).join(", ")}]`);
  if (decoded.missingBytes > 0) parts.push(`payload length ${decoded.payloadLength} but ${decoded.missingBytes} bytes missing`);
  return parts.join(" ");
}

function describeExtension(ext: DecodedIpv6Extension): string {
  switch (ext.kind) {
    case "hop-by-hop":
    case "destination-options":
      return ext.kind;
    case "routing":
      return `routing type ${ext.routingType} left ${ext.segmentsLeft}`;
    case "fragment":
      return `fragment id ${ext.identification} off ${ext.offsetBytes}${ext.moreFragments ? "+" : ""}`;
  }
}

function roundUp(value: number, unit: number): number {
  return Math.ceil(value / unit) * unit;
}
