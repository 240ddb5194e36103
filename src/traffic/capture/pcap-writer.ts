// Writes a classic pcap file (pcap-format.ts) in either byte order and either
// timestamp resolution. Packets longer than the snapshot length are cut to it,
// keeping their original length, as a capture would.
import { PcapError } from "../errors.ts";
import { LinkType } from "../link-type.ts";
import { fileSink, memorySink, type ByteSink } from "../io/byte-sink.ts";
import type { CaptureWriter, PacketToWrite } from "./capture-writer.ts";
import {
  MAX_CAPTURED_BYTES,
  NANOSECONDS_PER_MICROSECOND,
  NANOSECONDS_PER_SECOND,
  PCAP_FILE_HEADER_BYTES,
  PCAP_RECORD_HEADER_BYTES,
  PCAP_VERSION_MAJOR,
  PCAP_VERSION_MINOR,
  PcapMagic,
  type ByteOrder,
  type PcapResolution,
} from "./pcap-format.ts";

export interface PcapWriterOptions {
  readonly byteOrder?: ByteOrder;
  // Nanoseconds by default: generated traffic at line rate is spaced by fractions of a microsecond.
  readonly resolution?: PcapResolution;
  readonly snaplen?: number;
  readonly linkType?: number;
  // The name used in error messages.
  readonly name?: string;
}

const MAX_SECONDS = 0xffffffffn;

export function createPcapWriter(sink: ByteSink, options: PcapWriterOptions = {}): CaptureWriter {
  const little = (options.byteOrder ?? "little") === "little";
  const resolution = options.resolution ?? "nano";
  const snaplen = options.snaplen ?? MAX_CAPTURED_BYTES;
  const linkType = options.linkType ?? LinkType.ETHERNET;
  const name = options.name ?? "capture";
  const nsPerFraction = resolution === "nano" ? 1n : NANOSECONDS_PER_MICROSECOND;

  const header = new Uint8Array(PCAP_FILE_HEADER_BYTES);
  const headerView = new DataView(header.buffer);
  headerView.setUint32(0, resolution === "nano" ? PcapMagic.NANOSECONDS : PcapMagic.MICROSECONDS, little);
  headerView.setUint16(4, PCAP_VERSION_MAJOR, little);
  headerView.setUint16(6, PCAP_VERSION_MINOR, little);
  headerView.setUint32(16, snaplen, little);
  headerView.setUint32(20, linkType, little);
  sink.write(header);

  const record = new Uint8Array(PCAP_RECORD_HEADER_BYTES);
  const recordView = new DataView(record.buffer);
  let packetsWritten = 0;

  return {
    get packetsWritten() {
      return packetsWritten;
    },
    get bytesWritten() {
      return sink.bytesWritten;
    },
    write(packet: PacketToWrite) {
      const problem = (text: string): PcapError => new PcapError(name, sink.bytesWritten, `cannot write packet ${packetsWritten}: ${text}`);
      if (packet.linkType !== undefined && packet.linkType !== linkType) {
        throw problem(`its link type ${packet.linkType} differs from the file's ${linkType}`);
      }
      const seconds = packet.timestampNs / NANOSECONDS_PER_SECOND;
      if (packet.timestampNs < 0n || seconds > MAX_SECONDS) {
        throw problem(`its timestamp ${packet.timestampNs} ns is outside what a pcap record holds (0 to 2^32 seconds)`);
      }
      const originalLength = packet.originalLength ?? packet.data.length;
      if (originalLength < packet.data.length) {
        throw problem(`its original length ${originalLength} is less than its ${packet.data.length} captured bytes`);
      }
      const captured = packet.data.length > snaplen ? packet.data.subarray(0, snaplen) : packet.data;
      recordView.setUint32(0, Number(seconds), little);
      recordView.setUint32(4, Number((packet.timestampNs % NANOSECONDS_PER_SECOND) / nsPerFraction), little);
      recordView.setUint32(8, captured.length, little);
      recordView.setUint32(12, originalLength, little);
      sink.write(record);
      sink.write(captured);
      packetsWritten++;
    },
    close() {
      sink.close();
    },
  };
}

export function createPcapFileWriter(path: string, options: PcapWriterOptions = {}): CaptureWriter {
  return createPcapWriter(openSink(path), { name: path, ...options });
}

// Encodes packets into one in-memory pcap file.
export function encodePcap(packets: Iterable<PacketToWrite>, options: PcapWriterOptions = {}): Uint8Array {
  const sink = memorySink();
  const writer = createPcapWriter(sink, options);
  for (const packet of packets) writer.write(packet);
  writer.close();
  return sink.bytes();
}

export function openSink(path: string): ByteSink {
  try {
    return fileSink(path);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new PcapError(path, 0, `cannot create the capture: ${typeof code === "string" ? code : String(err)}`);
  }
}
