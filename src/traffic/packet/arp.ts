// ARP for IPv4 over Ethernet (RFC 826): hardware type 1, protocol type 0x0800,
// address lengths 6 and 4, an operation, then sender and target addresses.
import { formatIpv4, formatMac, parseIpv4, parseMac, type AddressInput } from "./address.ts";
import { needBytes, type DecodeStep, type DecodedArp } from "./decoded.ts";
import { fieldValue, placedAt, type ArpLayer, type Frame } from "./layer.ts";
import { EtherType } from "./protocol-numbers.ts";

export const ARP_BYTES = 28;
const HARDWARE_ETHERNET = 1;
const MAC_LENGTH = 6;
const IPV4_LENGTH = 4;

export const ArpOperation = { REQUEST: 1, REPLY: 2 } as const;

export interface ArpOptions {
  readonly operation: "request" | "reply" | number;
  readonly senderMac: AddressInput;
  readonly senderIp: AddressInput;
  // Unknown in a request: all zeros by default.
  readonly targetMac?: AddressInput;
  readonly targetIp: AddressInput;
}

export function arpLayer(options: ArpOptions): ArpLayer {
  const operation =
    options.operation === "request"
      ? ArpOperation.REQUEST
      : options.operation === "reply"
        ? ArpOperation.REPLY
        : fieldValue(options.operation, 0xffff, "ARP", "operation");
  return {
    kind: "arp",
    operation,
    senderMac: parseMac(options.senderMac, "ARP sender MAC"),
    senderIp: parseIpv4(options.senderIp, "ARP sender IP"),
    targetMac: parseMac(options.targetMac ?? new Uint8Array(MAC_LENGTH), "ARP target MAC"),
    targetIp: parseIpv4(options.targetIp, "ARP target IP"),
  };
}

export function writeArp(frame: Frame, index: number): void {
  const { layer, offset } = placedAt<ArpLayer>(frame, index);
  frame.view.setUint16(offset, HARDWARE_ETHERNET);
  frame.view.setUint16(offset + 2, EtherType.IPV4);
  frame.bytes[offset + 4] = MAC_LENGTH;
  frame.bytes[offset + 5] = IPV4_LENGTH;
  frame.view.setUint16(offset + 6, layer.operation);
  frame.bytes.set(layer.senderMac, offset + 8);
  frame.bytes.set(layer.senderIp, offset + 14);
  frame.bytes.set(layer.targetMac, offset + 18);
  frame.bytes.set(layer.targetIp, offset + 24);
}

export function decodeArp(bytes: Uint8Array, offset: number, end: number): DecodeStep<DecodedArp> {
  const short = needBytes("ARP message", ARP_BYTES, offset, end);
  if (short) return short;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, ARP_BYTES);
  if (view.getUint16(0) !== HARDWARE_ETHERNET || view.getUint16(2) !== EtherType.IPV4 || bytes[offset + 4] !== MAC_LENGTH || bytes[offset + 5] !== IPV4_LENGTH) {
    return { ok: false, reason: "ARP message is not for IPv4 over Ethernet" };
  }
  return {
    ok: true,
    layer: {
      kind: "arp",
      offset,
      operation: view.getUint16(6),
      senderMac: formatMac(bytes, offset + 8),
      senderIp: formatIpv4(bytes, offset + 14),
      targetMac: formatMac(bytes, offset + 18),
      targetIp: formatIpv4(bytes, offset + 24),
    },
    next: undefined,
    nextOffset: offset + ARP_BYTES,
    end: offset + ARP_BYTES,
  };
}

export function describeArp(decoded: DecodedArp): string {
  if (decoded.operation === ArpOperation.REQUEST) return `ARP who-has ${decoded.targetIp} tell ${decoded.senderIp}`;
  if (decoded.operation === ArpOperation.REPLY) return `ARP reply ${decoded.senderIp} is-at ${decoded.senderMac}`;
  return `ARP operation ${decoded.operation} ${decoded.senderIp} > ${decoded.targetIp}`;
}
