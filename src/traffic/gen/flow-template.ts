// A flow's well-formed frames without the packet builder: the flow's headers
// are built once by the builder (packet 0, no payload) and kept as a
// template; each packet copies them into the caller's buffer and patches what
// changes from packet to packet (the lengths, the IPv4 identification, the
// TCP sequence or ICMP echo sequence number, the payload pattern), then
// works the checksums out again. The payload pattern's checksum words come
// from a table instead of a loop over the payload. Byte for byte what
// flowBuilder(...).payload(n, index).build() gives (test/traffic/flow-template.test.ts).
import { checksumOf, ipv4PseudoHeaderSum, ipv6PseudoHeaderSum, sumWords } from "../packet/checksum.ts";
import type { PacketBuilder } from "../packet/builder.ts";
import { ICMP_CHECKSUM_AT } from "../packet/icmp.ts";
import { IPV4_CHECKSUM_AT } from "../packet/ipv4.ts";
import { IPV6_HEADER_BYTES } from "../packet/ipv6.ts";
import { IpProtocol } from "../packet/protocol-numbers.ts";
import { TCP_CHECKSUM_AT } from "../packet/tcp.ts";
import { UDP_CHECKSUM_AT } from "../packet/udp.ts";
import type { Flow } from "./flows.ts";

// Offsets of the fields a packet changes, from the start of their header (RFC 791, 8200, 768, 793, 792/4443).
const IPV4_TOTAL_LENGTH_AT = 2;
const IPV4_IDENTIFICATION_AT = 4;
const IPV6_PAYLOAD_LENGTH_AT = 4;
const UDP_LENGTH_AT = 4;
const TCP_SEQUENCE_AT = 4;
const ICMP_ECHO_SEQUENCE_AT = 6;

export class FlowTemplate {
  private readonly header: Uint8Array;
  private readonly ipAt: number;
  private readonly transportAt: number;
  private readonly ipv4: boolean;
  // The pseudo-header's word sum without its length (0 for ICMPv4, which has none).
  private readonly pseudoSum: number;

  // `headers`: the flow's frame of packet 0 without payload (flowBuilder's), `linkBytes` its link-layer header length.
  constructor(
    readonly flow: Flow,
    headers: PacketBuilder,
    linkBytes: number,
  ) {
    this.header = headers.build();
    this.ipAt = linkBytes;
    this.ipv4 = flow.ipVersion === 4;
    this.transportAt = linkBytes + (this.ipv4 ? (this.header[linkBytes] & 0x0f) * 4 : IPV6_HEADER_BYTES);
    const protocol = flow.protocol === "udp" ? IpProtocol.UDP : flow.protocol === "tcp" ? IpProtocol.TCP : this.ipv4 ? undefined : IpProtocol.ICMPV6;
    this.pseudoSum = protocol === undefined ? 0 : this.ipv4 ? ipv4PseudoHeaderSum(flow.src, flow.dst, protocol, 0) : ipv6PseudoHeaderSum(flow.src, flow.dst, protocol, 0);
  }

  get headerBytes(): number {
    return this.header.length;
  }

  // Writes packet `index`'s frame with `payloadBytes` of pattern into `into`; returns its length.
  // `tcpSequence` is the TCP sequence number of the packet (unused by other protocols).
  write(into: Uint8Array, index: number, payloadBytes: number, tcpSequence: number): number {
    const header = this.header;
    const frameBytes = header.length + payloadBytes;
    into.set(header, 0);
    const ip = this.ipAt;
    const l4 = this.transportAt;
    const l4Bytes = frameBytes - l4;
    if (this.ipv4) {
      setUint16(into, ip + IPV4_TOTAL_LENGTH_AT, frameBytes - ip);
      setUint16(into, ip + IPV4_IDENTIFICATION_AT, index & 0xffff);
      setUint16(into, ip + IPV4_CHECKSUM_AT, 0);
      setUint16(into, ip + IPV4_CHECKSUM_AT, checksumOf(sumWords(into, ip, l4)));
    } else setUint16(into, ip + IPV6_PAYLOAD_LENGTH_AT, frameBytes - ip - IPV6_HEADER_BYTES);
    writePattern(into, header.length, payloadBytes, index);
    const payloadSum = patternWordSum(index, payloadBytes);
    switch (this.flow.protocol) {
      case "udp": {
        setUint16(into, l4 + UDP_LENGTH_AT, l4Bytes);
        setUint16(into, l4 + UDP_CHECKSUM_AT, 0);
        const computed = checksumOf(sumWords(into, l4, header.length, this.pseudoSum + l4Bytes + payloadSum));
        // RFC 768: a computed checksum of zero is transmitted as all ones.
        setUint16(into, l4 + UDP_CHECKSUM_AT, computed === 0 ? 0xffff : computed);
        break;
      }
      case "tcp":
        setUint32(into, l4 + TCP_SEQUENCE_AT, tcpSequence);
        setUint16(into, l4 + TCP_CHECKSUM_AT, 0);
        setUint16(into, l4 + TCP_CHECKSUM_AT, checksumOf(sumWords(into, l4, header.length, this.pseudoSum + l4Bytes + payloadSum)));
        break;
      case "icmp": {
        setUint16(into, l4 + ICMP_ECHO_SEQUENCE_AT, index & 0xffff);
        setUint16(into, l4 + ICMP_CHECKSUM_AT, 0);
        const pseudo = this.ipv4 ? 0 : this.pseudoSum + l4Bytes;
        setUint16(into, l4 + ICMP_CHECKSUM_AT, checksumOf(sumWords(into, l4, header.length, pseudo + payloadSum)));
        break;
      }
    }
    return frameBytes;
  }
}

function setUint16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 8;
  bytes[at + 1] = value & 0xff;
}

function setUint32(bytes: Uint8Array, at: number, value: number): void {
  setUint16(bytes, at, value >>> 16);
  setUint16(bytes, at + 2, value & 0xffff);
}

// The builder's payload pattern: byte i is (first + i) & 0xff (builder.ts patternBytes).
const PATTERN_CYCLE_BYTES = 256;
const PATTERN_CYCLE_WORDS = PATTERN_CYCLE_BYTES / 2;

// Copies the pattern's first cycle in, then doubles what is written until it is all there.
function writePattern(bytes: Uint8Array, offset: number, count: number, first: number): void {
  const start = first & 0xff;
  const head = Math.min(count, PATTERN_CYCLE_BYTES);
  for (let i = 0; i < head; i++) bytes[offset + i] = (start + i) & 0xff;
  for (let done = head; done < count; done *= 2) bytes.copyWithin(offset + done, offset, offset + Math.min(done, count - done));
}

// WORD_SUMS[s * (PATTERN_CYCLE_WORDS + 1) + r]: the sum of the first r big-endian words of the pattern starting at byte s.
const WORD_SUMS = (() => {
  const sums = new Uint32Array(PATTERN_CYCLE_BYTES * (PATTERN_CYCLE_WORDS + 1));
  for (let s = 0; s < PATTERN_CYCLE_BYTES; s++) {
    let sum = 0;
    for (let r = 0; r <= PATTERN_CYCLE_WORDS; r++) {
      sums[s * (PATTERN_CYCLE_WORDS + 1) + r] = sum;
      sum += (((s + 2 * r) & 0xff) << 8) | ((s + 2 * r + 1) & 0xff);
    }
  }
  return sums;
})();

// The word sum (not folded) of `count` pattern bytes starting with byte value `first`, an odd last byte padded with zero.
// The pattern repeats every 256 bytes, a whole number of words, so whole cycles add one cycle's sum each.
export function patternWordSum(first: number, count: number): number {
  const start = first & 0xff;
  const row = start * (PATTERN_CYCLE_WORDS + 1);
  const words = count >>> 1;
  const cycles = Math.floor(words / PATTERN_CYCLE_WORDS);
  const sum = cycles * WORD_SUMS[row + PATTERN_CYCLE_WORDS] + WORD_SUMS[row + (words % PATTERN_CYCLE_WORDS)];
  return count & 1 ? sum + (((start + count - 1) & 0xff) << 8) : sum;
}
