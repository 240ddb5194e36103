// Decodes a frame layer by layer, from the link type of its capture, into the
// records of decoded.ts. It never throws: garbage ends the walk with a stop
// that says at which byte and why, after the layers that did decode.
import { LinkType } from "../link-type.ts";
import { decodeArp } from "./arp.ts";
import type { DecodeStep, DecodedLayer, DecodedPacket, DecodeStop, EnclosingIp, NextKind } from "./decoded.ts";
import { decodeEthernet } from "./ethernet.ts";
import { decodeGre } from "./gre.ts";
import { decodeIcmp } from "./icmp.ts";
import { decodeIpv4 } from "./ipv4.ts";
import { decodeIpv6 } from "./ipv6.ts";
import { decodeTcp } from "./tcp.ts";
import { decodeUdp } from "./udp.ts";
import { decodeVlan } from "./vlan.ts";
import { decodeVxlan } from "./vxlan.ts";

// Encapsulations can nest (IP in IP in GRE...); a frame claiming more is garbage.
const MAX_LAYERS = 32;
// BSD loopback (LinkType.NULL) starts with a 4-byte address family in the capturing host's byte order.
const NULL_HEADER_BYTES = 4;
const BSD_AF_INET = 2;
// AF_INET6 differs between BSDs (24, 28, 30); any of them means IPv6.
const BSD_AF_INET6 = [24, 28, 30];

export function decodePacket(bytes: Uint8Array, linkType: number = LinkType.ETHERNET): DecodedPacket {
  const layers: DecodedLayer[] = [];
  let offset = 0;
  let next: NextKind | undefined;
  let carrier: string | undefined;
  switch (linkType) {
    case LinkType.ETHERNET:
      next = "ethernet";
      break;
    case LinkType.IPV4:
      next = "ipv4";
      break;
    case LinkType.IPV6:
      next = "ipv6";
      break;
    case LinkType.RAW:
      next = ipVersionOf(bytes, 0);
      if (next === undefined) return stopped(layers, 0, { offset: 0, reason: rawIpProblem(bytes, 0) });
      break;
    case LinkType.NULL:
      if (bytes.length < NULL_HEADER_BYTES) return stopped(layers, 0, { offset: 0, reason: "loopback header needs 4 bytes" });
      offset = NULL_HEADER_BYTES;
      next = nullFamily(bytes);
      if (next === undefined) carrier = "a loopback address family";
      break;
    default:
      next = undefined;
      carrier = `link type ${linkType}`;
  }

  let end = bytes.length;
  let networkEnd: number | undefined;
  let enclosing: EnclosingIp | undefined;
  // Whether every byte the current network layer announces is in the frame.
  let complete = true;
  let tpid = 0;
  while (next !== undefined) {
    if (layers.length >= MAX_LAYERS) return stopped(layers, trailer(bytes, networkEnd), { offset, reason: `more than ${MAX_LAYERS} layers` });
    const step = decodeOne(next, bytes, offset, end, { enclosing, complete, tpid });
    if (!step.ok) return stopped(layers, trailer(bytes, networkEnd), { offset, reason: step.reason });
    const layer = step.layer;
    layers.push(layer);
    if (layer.kind === "ipv4" || layer.kind === "ipv6" || layer.kind === "arp") {
      networkEnd ??= step.end;
      if (layer.kind !== "arp") complete = complete && layer.missingBytes === 0;
    }
    if (layer.kind === "ethernet" || layer.kind === "vlan") tpid = layer.etherType;
    if (step.enclosing !== undefined) enclosing = step.enclosing;
    offset = step.nextOffset;
    end = step.end;
    next = step.next;
    carrier = step.carrier;
    // A raw-IP tunnel (IP in IP, GRE) announces the version in the inner header.
    if (next === "ipv4" || next === "ipv6") next = ipVersionOf(bytes, offset) ?? next;
  }
  if (end > offset) layers.push({ kind: "payload", offset, length: end - offset, carrier });
  return { layers, trailerLength: trailer(bytes, networkEnd), stop: undefined };
}

type Step = DecodeStep<DecodedLayer> & { enclosing?: EnclosingIp };

function decodeOne(
  kind: NextKind,
  bytes: Uint8Array,
  offset: number,
  end: number,
  context: { enclosing: EnclosingIp | undefined; complete: boolean; tpid: number },
): Step {
  switch (kind) {
    case "ethernet":
      return decodeEthernet(bytes, offset, end);
    case "vlan":
      return decodeVlan(bytes, offset, end, context.tpid);
    case "arp":
      return decodeArp(bytes, offset, end);
    case "ipv4":
      return decodeIpv4(bytes, offset, end);
    case "ipv6":
      return decodeIpv6(bytes, offset, end);
    case "tcp":
      return decodeTcp(bytes, offset, end, context.enclosing, context.complete);
    case "udp":
      return decodeUdp(bytes, offset, end, context.enclosing, context.complete);
    case "icmp":
    case "icmpv6":
      return decodeIcmp(bytes, offset, end, kind, context.enclosing, context.complete);
    case "gre":
      return decodeGre(bytes, offset, end, context.complete);
    case "vxlan":
      return decodeVxlan(bytes, offset, end);
  }
}

function stopped(layers: DecodedLayer[], trailerLength: number, stop: DecodeStop): DecodedPacket {
  return { layers, trailerLength, stop };
}

function trailer(bytes: Uint8Array, networkEnd: number | undefined): number {
  return networkEnd === undefined ? 0 : Math.max(0, bytes.length - networkEnd);
}

function ipVersionOf(bytes: Uint8Array, offset: number): "ipv4" | "ipv6" | undefined {
  if (offset >= bytes.length) return undefined;
  const version = bytes[offset] >> 4;
  return version === 4 ? "ipv4" : version === 6 ? "ipv6" : undefined;
}

function rawIpProblem(bytes: Uint8Array, offset: number): string {
  return offset >= bytes.length ? "raw IP packet is empty" : `raw IP packet has version ${bytes[offset] >> 4}`;
}

function nullFamily(bytes: Uint8Array): "ipv4" | "ipv6" | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, NULL_HEADER_BYTES);
  for (const little of [true, false]) {
    const family = view.getUint32(0, little);
    if (family === BSD_AF_INET) return "ipv4";
    if (BSD_AF_INET6.includes(family)) return "ipv6";
  }
  return undefined;
}
