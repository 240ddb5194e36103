// Reads a classic pcap file (pcap-format.ts) record by record from a ByteSource.
import type { CapturedPacket } from "../captured-packet.ts";
import { PcapError } from "../errors.ts";
import type { ByteSource } from "../io/byte-source.ts";
import type { PacketParser } from "./packet-parser.ts";
import {
  MAX_CAPTURED_BYTES,
  NANOSECONDS_PER_MICROSECOND,
  NANOSECONDS_PER_SECOND,
  PCAP_FILE_HEADER_BYTES,
  PCAP_LINK_TYPE_MASK,
  PCAP_RECORD_HEADER_BYTES,
  PCAP_VERSION_MAJOR,
  PcapMagic,
  type ByteOrder,
  type PcapFileHeader,
  type PcapResolution,
} from "./pcap-format.ts";

const MAGIC_BYTES = 4;

// The file header's magic, read as a little-endian number, tells byte order and resolution.
export function pcapMagicKind(magicLittleEndian: number): { byteOrder: ByteOrder; resolution: PcapResolution } | undefined {
  const swapped = swap32(magicLittleEndian);
  if (magicLittleEndian === PcapMagic.MICROSECONDS) return { byteOrder: "little", resolution: "micro" };
  if (magicLittleEndian === PcapMagic.NANOSECONDS) return { byteOrder: "little", resolution: "nano" };
  if (swapped === PcapMagic.MICROSECONDS) return { byteOrder: "big", resolution: "micro" };
  if (swapped === PcapMagic.NANOSECONDS) return { byteOrder: "big", resolution: "nano" };
  return undefined;
}

// Reads the rest of the file header; the 4 magic bytes have already been consumed.
export function readPcapHeader(source: ByteSource, magicLittleEndian: number): PcapFileHeader {
  const kind = pcapMagicKind(magicLittleEndian);
  if (kind === undefined) throw new PcapError(source.name, 0, "not a pcap file: unknown magic number");
  const rest = source.read(PCAP_FILE_HEADER_BYTES - MAGIC_BYTES);
  if (rest.length < PCAP_FILE_HEADER_BYTES - MAGIC_BYTES) {
    throw new PcapError(
      source.name,
      0,
      `the pcap file header is cut short: ${PCAP_FILE_HEADER_BYTES} bytes expected, ${rest.length + MAGIC_BYTES} present`,
    );
  }
  const view = new DataView(rest.buffer, rest.byteOffset, rest.length);
  const little = kind.byteOrder === "little";
  const header: PcapFileHeader = {
    ...kind,
    versionMajor: view.getUint16(0, little),
    versionMinor: view.getUint16(2, little),
    // Bytes 4..11 (thiszone, sigfigs) are reserved and ignored.
    snaplen: view.getUint32(12, little),
    linkType: view.getUint32(16, little) & PCAP_LINK_TYPE_MASK,
  };
  if (header.versionMajor !== PCAP_VERSION_MAJOR) {
    throw new PcapError(
      source.name,
      MAGIC_BYTES,
      `unsupported pcap version ${header.versionMajor}.${header.versionMinor} (only ${PCAP_VERSION_MAJOR}.x is defined)`,
    );
  }
  return header;
}

export function pcapPacketParser(source: ByteSource, header: PcapFileHeader): PacketParser {
  const little = header.byteOrder === "little";
  const fractionToNs = header.resolution === "nano" ? 1n : NANOSECONDS_PER_MICROSECOND;
  let recordIndex = 0;
  return {
    next() {
      const recordOffset = source.offset;
      const head = source.read(PCAP_RECORD_HEADER_BYTES);
      if (head.length === 0) return undefined;
      const record = `packet record ${recordIndex}`;
      if (head.length < PCAP_RECORD_HEADER_BYTES) {
        throw new PcapError(
          source.name,
          recordOffset,
          `${record}'s header is cut short: ${PCAP_RECORD_HEADER_BYTES} bytes expected, ${head.length} present`,
        );
      }
      const view = new DataView(head.buffer, head.byteOffset, head.length);
      const seconds = view.getUint32(0, little);
      const fraction = view.getUint32(4, little);
      const capturedLength = view.getUint32(8, little);
      const originalLength = view.getUint32(12, little);
      if (capturedLength > MAX_CAPTURED_BYTES) {
        throw new PcapError(
          source.name,
          recordOffset,
          `${record} claims ${capturedLength} captured bytes, more than the ${MAX_CAPTURED_BYTES}-byte maximum of any capture`,
        );
      }
      if (capturedLength > originalLength) {
        throw new PcapError(
          source.name,
          recordOffset,
          `${record} claims ${capturedLength} captured bytes of a ${originalLength}-byte packet`,
        );
      }
      const bytes = source.read(capturedLength);
      if (bytes.length < capturedLength) {
        throw new PcapError(
          source.name,
          recordOffset,
          `${record} is cut short: ${capturedLength} captured bytes announced, ${bytes.length} present`,
        );
      }
      recordIndex++;
      return {
        timestampNs: BigInt(seconds) * NANOSECONDS_PER_SECOND + BigInt(fraction) * fractionToNs,
        data: bytes.slice(),
        originalLength,
        linkType: header.linkType,
        interfaceId: 0,
        sectionIndex: 0,
      };
    },
  };
}

function swap32(value: number): number {
  return (((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | (value >>> 24)) >>> 0;
}
