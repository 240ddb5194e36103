// The traffic layer's public API: capture reading and writing, packet building
// and decoding, and the synthetic traffic generator. Other layers import from here.
export { LinkTypeError, PcapError, PacketBuildError, TrafficSpecError } from "./errors.ts";
export { LinkType, linkTypeName } from "./link-type.ts";
export { isTruncatedCapture, type CapturedPacket } from "./captured-packet.ts";
export { xdpFrames, DESTINATION_MAC, MAX_FRAME_BYTES, SOURCE_MAC, type XdpFrameCounts, type XdpFrames } from "./xdp-frames.ts";

export {
  openCaptureFile,
  openCaptureBuffer,
  readCaptureBuffer,
  readCaptureFile,
  type CaptureContents,
  type CaptureFormat,
  type CaptureReader,
  type ReadCaptureOptions,
} from "./capture/capture-reader.ts";
export type { CaptureWriter, PacketToWrite } from "./capture/capture-writer.ts";
export { createPcapFileWriter, createPcapWriter, encodePcap, type PcapWriterOptions } from "./capture/pcap-writer.ts";
export {
  createPcapngFileWriter,
  createPcapngWriter,
  encodePcapng,
  type PcapngWriter,
  type PcapngWriterOptions,
  type PcapngSectionOptions,
  type PcapngInterfaceOptions,
} from "./capture/pcapng-writer.ts";
export { MAX_CAPTURED_BYTES, type ByteOrder, type PcapFileHeader, type PcapResolution } from "./capture/pcap-format.ts";
export type { TimestampResolution } from "./capture/timestamp-resolution.ts";

export { PacketBuilder, eth, ipv4, ipv6 } from "./packet/builder.ts";
export { formatIpv4, formatIpv6, formatMac, parseIpv4, parseIpv6, parseMac } from "./packet/address.ts";
export { internetChecksum } from "./packet/checksum.ts";
export { EtherType, IpProtocol, VXLAN_UDP_PORT } from "./packet/protocol-numbers.ts";
export { TcpFlag } from "./packet/tcp.ts";
export { IcmpType, Icmpv6Type } from "./packet/icmp.ts";
export type { ChecksumChoice, TcpOption } from "./packet/layer.ts";
export { decodePacket } from "./packet/decode.ts";
export { describeDecoded, describeLayer, describePacket } from "./packet/describe.ts";
export type { DecodedLayer, DecodedPacket, DecodeStop, ChecksumVerdict } from "./packet/decoded.ts";

export {
  generateTraffic,
  DEFAULT_PACKET_COUNT,
  DEFAULT_SEED,
  type GenerateOptions,
  type GeneratedPacket,
  type Malformation,
} from "./gen/generator.ts";
export { parseTrafficSpec, formatTrafficSpec, DEFAULT_SPEC, type TrafficSpec, type TrafficProtocol } from "./gen/traffic-spec.ts";
export type { SizeDistribution } from "./gen/size-distribution.ts";
export { SIMPLE_IMIX } from "./gen/size-distribution.ts";
export { wireBits, wireBytes, FCS_BYTES, INTERPACKET_GAP_BYTES, MIN_FRAME_BYTES, PREAMBLE_AND_SFD_BYTES } from "./gen/wire-time.ts";
export { Prng } from "./gen/prng.ts";
