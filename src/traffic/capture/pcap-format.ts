// The classic pcap file format, as draft-ietf-opsawg-pcap describes it: a
// 24-byte file header, then records of a 16-byte header and the packet bytes.
// All multi-byte fields are in the writer's byte order, told by the magic.

export const PcapMagic = {
  // Records carry seconds and microseconds.
  MICROSECONDS: 0xa1b2c3d4,
  // Records carry seconds and nanoseconds.
  NANOSECONDS: 0xa1b23c4d,
} as const;

export const PCAP_FILE_HEADER_BYTES = 24;
export const PCAP_RECORD_HEADER_BYTES = 16;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;

// The file header's LinkType field holds the link type in its low 16 bits; the
// upper bits (FCS length flag and reserved bits) are ignored by readers.
export const PCAP_LINK_TYPE_MASK = 0xffff;

// libpcap's MAXIMUM_SNAPLEN (pcap-int.h): no capture holds a larger packet, so a
// larger captured length means a corrupt record, not a big packet.
export const MAX_CAPTURED_BYTES = 262144;

export type ByteOrder = "little" | "big";
export type PcapResolution = "micro" | "nano";

export interface PcapFileHeader {
  readonly byteOrder: ByteOrder;
  readonly resolution: PcapResolution;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly snaplen: number;
  readonly linkType: number;
}

export const NANOSECONDS_PER_SECOND = 1_000_000_000n;
export const NANOSECONDS_PER_MICROSECOND = 1_000n;
