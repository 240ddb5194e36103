// Decodes a frame layer by layer, from the link type of its capture, into the
// records of decoded.ts. It never throws: garbage ends the walk with a stop
// that says at which byte and why, after the layers that did decode.
import { LinkType } from "../link-type.ts";
import { decodeArp } from "./arp.ts";
import type { DecodeStep, DecodedLayer, DecodedPacket, DecodeStop, EnclosingIp, NextKind } from "./decoded.ts";
import { afterEtherType, decodeEthernet } from "./ethernet.ts";
import { isEthernetCompatible, readLinkHeader } from "./link-header.ts";
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

export function decodePacket(bytes: Uint8Array, linkType: number = LinkType.ETHERNET): DecodedPacket {
  const layers: DecodedLayer[] = [];
  let offset = 0;
  let next: NextKind | undefined;
  let carrier: string | undefined;
  let tpid = 0;
  if (linkType === LinkType.ETHERNET) {
    next = "ethernet";
  } else if (!isEthernetCompatible(linkType)) {
    carrier = `link type ${linkType}`;
  } else {
    const link = readLinkHeader(bytes, linkType);
    if (!link.ok) return stopped(layers, 0, { offset: 0, reason: link.reason });
    offset = link.headerBytes;
    if (link.protocol.kind === "length") {
      carrier = "an IEEE 802.3 frame";
    } else {
      ({ next, carrier } = afterEtherType(link.protocol.etherType));
      tpid = link.protocol.etherType;
    }
  }

  let end = bytes.length;
  let networkEnd: number | undefined;
  let enclosing: EnclosingIp | undefined;
  // Whether every byte the current network layer announces is in the frame.
  let complete = true;
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


