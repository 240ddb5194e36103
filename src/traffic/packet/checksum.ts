// The Internet checksum of RFC 1071: the 16-bit one's complement of the one's
// complement sum of the data taken as big-endian 16-bit words (an odd last
// byte is padded with zero). IPv4, TCP, UDP, ICMP, ICMPv6 and GRE all use it.

// The one's complement sum of bytes[start, end), added to `initial`, not yet folded.
export function sumWords(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let at = start;
  for (; at + 1 < end; at += 2) sum += (bytes[at] << 8) | bytes[at + 1];
  if (at < end) sum += bytes[at] << 8;
  // Fold now and then so the running sum stays an exact integer whatever the length.
  return sum > 0x7fffffff ? foldCarries(sum) : sum;
}

export function foldCarries(sum: number): number {
  let folded = sum;
  while (folded > 0xffff) folded = (folded & 0xffff) + Math.floor(folded / 0x10000);
  return folded;
}

// The checksum field value for data whose word sum (checksum field zeroed) is `sum`.
export function checksumOf(sum: number): number {
  return ~foldCarries(sum) & 0xffff;
}

export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return checksumOf(sumWords(bytes, start, end));
}

// The sum of the TCP/UDP pseudo-header for IPv4 (RFC 793 section 3.1, RFC 768).
export function ipv4PseudoHeaderSum(source: Uint8Array, destination: Uint8Array, protocol: number, length: number): number {
  return sumWords(source, 0, 4) + sumWords(destination, 0, 4) + protocol + length;
}

// The sum of the upper-layer pseudo-header for IPv6 (RFC 8200 section 8.1).
export function ipv6PseudoHeaderSum(source: Uint8Array, destination: Uint8Array, nextHeader: number, length: number): number {
  return sumWords(source, 0, 16) + sumWords(destination, 0, 16) + Math.floor(length / 0x10000) + (length & 0xffff) + nextHeader;
}

// A checksum value that a receiver is sure to reject: not the right one, not its
// one's complement twin (0x0000 and 0xffff are the same number), and not the
// "no checksum" 0 that UDP over IPv4 would accept.
export function wrongChecksum(correct: number): number {
  const twin = correct === 0 ? 0xffff : correct === 0xffff ? 0 : correct;
  for (const flip of [0x00ff, 0xff00, 0x0f0f]) {
    const candidate = correct ^ flip;
    if (candidate !== correct && candidate !== twin && candidate !== 0 && candidate !== 0xffff) return candidate;
  }
  return 0x1234;
}
