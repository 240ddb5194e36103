// An Internet checksum written independently of src/traffic/packet/checksum.ts,
// straight from RFC 1071 section 4.1's C code: add 16-bit words, fold the carry
// back in after every addition, complement at the end.
export function referenceChecksum(...parts: Uint8Array[]): number {
  const bytes = concat(...parts);
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) {
    const word = (bytes[i] << 8) | (i + 1 < bytes.length ? bytes[i + 1] : 0);
    sum += word;
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  return ~sum & 0xffff;
}

// RFC 768 / RFC 793: source, destination, zero, protocol, length (16 bits).
export function ipv4PseudoHeader(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): Uint8Array {
  return Uint8Array.of(...src, ...dst, 0, protocol, length >> 8, length & 0xff);
}

// RFC 8200 section 8.1: source, destination, 32-bit length, three zero bytes, next header.
export function ipv6PseudoHeader(src: Uint8Array, dst: Uint8Array, nextHeader: number, length: number): Uint8Array {
  return Uint8Array.of(...src, ...dst, (length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff, 0, 0, 0, nextHeader);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function hex(text: string): Uint8Array {
  const clean = text.replace(/[^0-9a-fA-F]/g, "");
  return Uint8Array.from(clean.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

export function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}

export function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at] << 8) | bytes[at + 1];
}

export function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}
