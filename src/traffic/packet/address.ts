// Text forms of link and network addresses: MAC (six hex pairs), IPv4 (dotted
// quad), IPv6 (RFC 4291 section 2.2 on input, RFC 5952 canonical form on output).
import { PacketBuildError } from "../errors.ts";

export const MAC_BYTES = 6;
export const IPV4_ADDRESS_BYTES = 4;
export const IPV6_ADDRESS_BYTES = 16;
const IPV6_GROUPS = 8;

export type AddressInput = string | Uint8Array;

export function parseMac(text: AddressInput, layer = "MAC address"): Uint8Array {
  if (typeof text !== "string") return exactBytes(text, MAC_BYTES, layer);
  const parts = text.split(/[:-]/);
  if (parts.length !== MAC_BYTES || !parts.every((part) => /^[0-9a-fA-F]{2}$/.test(part))) {
    throw new PacketBuildError(layer, `"${text}" is not a MAC address like 02:00:00:00:00:01`);
  }
  return Uint8Array.from(parts, (part) => parseInt(part, 16));
}

export function formatMac(bytes: Uint8Array, at = 0): string {
  const parts: string[] = [];
  for (let i = 0; i < MAC_BYTES; i++) parts.push(bytes[at + i].toString(16).padStart(2, "0"));
  return parts.join(":");
}

export function parseIpv4(text: AddressInput, layer = "IPv4 address"): Uint8Array {
  if (typeof text !== "string") return exactBytes(text, IPV4_ADDRESS_BYTES, layer);
  const parsed = parseDottedQuad(text);
  if (parsed === undefined) throw new PacketBuildError(layer, `"${text}" is not an IPv4 address like 10.0.0.1`);
  return parsed;
}

export function formatIpv4(bytes: Uint8Array, at = 0): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

export function parseIpv6(text: AddressInput, layer = "IPv6 address"): Uint8Array {
  if (typeof text !== "string") return exactBytes(text, IPV6_ADDRESS_BYTES, layer);
  const parsed = parseIpv6Text(text);
  if (parsed === undefined) throw new PacketBuildError(layer, `"${text}" is not an IPv6 address like 2001:db8::1`);
  return parsed;
}

// RFC 5952 section 4: lowercase, no leading zeros, the longest run of two or
// more zero groups (the first of equal runs) shortened to "::".
export function formatIpv6(bytes: Uint8Array, at = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < IPV6_GROUPS; i++) groups.push((bytes[at + 2 * i] << 8) | bytes[at + 2 * i + 1]);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < IPV6_GROUPS; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < IPV6_GROUPS && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string => groups.slice(from, to).map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(0, IPV6_GROUPS);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, IPV6_GROUPS)}`;
}

function parseDottedQuad(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== IPV4_ADDRESS_BYTES) return undefined;
  const bytes = new Uint8Array(IPV4_ADDRESS_BYTES);
  for (let i = 0; i < parts.length; i++) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(parts[i])) return undefined;
    const value = Number(parts[i]);
    if (value > 0xff) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

function parseIpv6Text(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === "") return [];
    const groups: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      // RFC 4291 section 2.2 form 3: the last 32 bits may be written as a dotted quad.
      if (i === pieces.length - 1 && piece.includes(".")) {
        const quad = parseDottedQuad(piece);
        if (quad === undefined) return undefined;
        groups.push((quad[0] << 8) | quad[1], (quad[2] << 8) | quad[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
        groups.push(parseInt(piece, 16));
      }
    }
    return groups;
  };
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = IPV6_GROUPS - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(IPV6_ADDRESS_BYTES);
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

function exactBytes(bytes: Uint8Array, length: number, layer: string): Uint8Array {
  if (bytes.length !== length) throw new PacketBuildError(layer, `an address of ${length} bytes was expected, got ${bytes.length}`);
  return bytes;
}
