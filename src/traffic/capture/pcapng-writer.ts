// Writes a pcapng file (pcapng-format.ts): a Section Header Block, one Interface
// Description Block per interface (with if_tsresol), then one Enhanced Packet
// Block per packet. `startSection` begins a further section, possibly in the
// other byte order with other interfaces, as concatenated captures have.
import { PcapError } from "../errors.ts";
import { LinkType } from "../link-type.ts";
import { memorySink, type ByteSink } from "../io/byte-sink.ts";
import type { CaptureWriter, PacketToWrite } from "./capture-writer.ts";
import { MAX_CAPTURED_BYTES, type ByteOrder } from "./pcap-format.ts";
import { openSink } from "./pcap-writer.ts";
import {
  BLOCK_MIN_BYTES,
  BYTE_ORDER_MAGIC,
  BlockType,
  EPB_FIXED_BYTES,
  IDB_FIXED_BYTES,
  OPTION_HEADER_BYTES,
  OptionCode,
  PCAPNG_VERSION_MAJOR,
  PCAPNG_VERSION_MINOR,
  SHB_FIXED_BYTES,
  paddedLength,
} from "./pcapng-format.ts";
import {
  NANOSECOND_RESOLUTION,
  encodeTsresol,
  nanosecondsToUnits,
  unitsPerSecond,
  type TimestampResolution,
} from "./timestamp-resolution.ts";

export interface PcapngInterfaceOptions {
  readonly linkType?: number;
  // 0 means no limit.
  readonly snaplen?: number;
  readonly resolution?: TimestampResolution;
}

export interface PcapngSectionOptions {
  readonly byteOrder?: ByteOrder;
  readonly interfaces?: readonly PcapngInterfaceOptions[];
}

export interface PcapngWriterOptions extends PcapngSectionOptions {
  readonly name?: string;
}

export interface PcapngWriter extends CaptureWriter {
  startSection(options?: PcapngSectionOptions): void;
}

// The Section Length field's "not specified" value (-1): we stream, so we never know it.
const SECTION_LENGTH_UNKNOWN = -1n;
// if_tsresol: a one-byte option value, padded to four.
const TSRESOL_OPTION_BYTES = OPTION_HEADER_BYTES + 4;
const END_OF_OPTIONS_BYTES = OPTION_HEADER_BYTES;
const MAX_TIMESTAMP_UNITS = (1n << 64n) - 1n;

interface WriterInterface {
  readonly linkType: number;
  readonly snaplen: number;
  readonly tsUnitsPerSecond: bigint;
}

export function createPcapngWriter(sink: ByteSink, options: PcapngWriterOptions = {}): PcapngWriter {
  const name = options.name ?? "capture";
  let little = true;
  let interfaces: WriterInterface[] = [];
  let packetsWritten = 0;

  const startSection = (section: PcapngSectionOptions = {}): void => {
    little = (section.byteOrder ?? "little") === "little";
    const described = section.interfaces ?? [{}];
    interfaces = described.map((iface) => ({
      linkType: iface.linkType ?? LinkType.ETHERNET,
      snaplen: iface.snaplen ?? MAX_CAPTURED_BYTES,
      tsUnitsPerSecond: unitsPerSecond(iface.resolution ?? NANOSECOND_RESOLUTION),
    }));
    const shbLength = BLOCK_MIN_BYTES + SHB_FIXED_BYTES;
    const shb = block(BlockType.SECTION_HEADER, shbLength);
    shb.view.setUint32(8, BYTE_ORDER_MAGIC, little);
    shb.view.setUint16(12, PCAPNG_VERSION_MAJOR, little);
    shb.view.setUint16(14, PCAPNG_VERSION_MINOR, little);
    shb.view.setBigInt64(16, SECTION_LENGTH_UNKNOWN, little);
    sink.write(shb.bytes);
    described.forEach((iface, index) => {
      const idbLength = BLOCK_MIN_BYTES + IDB_FIXED_BYTES + TSRESOL_OPTION_BYTES + END_OF_OPTIONS_BYTES;
      const idb = block(BlockType.INTERFACE_DESCRIPTION, idbLength);
      idb.view.setUint16(8, interfaces[index].linkType, little);
      idb.view.setUint32(12, interfaces[index].snaplen, little);
      idb.view.setUint16(16, OptionCode.IF_TSRESOL, little);
      idb.view.setUint16(18, 1, little);
      idb.view.setUint8(20, encodeTsresol(iface.resolution ?? NANOSECOND_RESOLUTION));
      // Bytes 24..27 stay zero: opt_endofopt with length 0.
      sink.write(idb.bytes);
    });
  };

  const block = (type: number, totalLength: number): { bytes: Uint8Array; view: DataView } => {
    const bytes = new Uint8Array(totalLength);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, type, little);
    view.setUint32(4, totalLength, little);
    view.setUint32(totalLength - 4, totalLength, little);
    return { bytes, view };
  };

  startSection(options);

  return {
    get packetsWritten() {
      return packetsWritten;
    },
    get bytesWritten() {
      return sink.bytesWritten;
    },
    startSection,
    write(packet: PacketToWrite) {
      const problem = (text: string): PcapError => new PcapError(name, sink.bytesWritten, `cannot write packet ${packetsWritten}: ${text}`);
      const interfaceId = packet.interfaceId ?? 0;
      const iface = interfaces[interfaceId];
      if (iface === undefined) throw problem(`it names interface ${interfaceId}, but the section has ${interfaces.length}`);
      if (packet.linkType !== undefined && packet.linkType !== iface.linkType) {
        throw problem(`its link type ${packet.linkType} differs from interface ${interfaceId}'s ${iface.linkType}`);
      }
      const units = nanosecondsToUnits(packet.timestampNs, iface.tsUnitsPerSecond);
      if (units < 0n || units > MAX_TIMESTAMP_UNITS) throw problem(`its timestamp ${packet.timestampNs} ns does not fit 64 bits of units`);
      const originalLength = packet.originalLength ?? packet.data.length;
      if (originalLength < packet.data.length) {
        throw problem(`its original length ${originalLength} is less than its ${packet.data.length} captured bytes`);
      }
      const captured =
        iface.snaplen !== 0 && packet.data.length > iface.snaplen ? packet.data.subarray(0, iface.snaplen) : packet.data;
      const epb = block(BlockType.ENHANCED_PACKET, BLOCK_MIN_BYTES + EPB_FIXED_BYTES + paddedLength(captured.length));
      epb.view.setUint32(8, interfaceId, little);
      epb.view.setUint32(12, Number(units >> 32n), little);
      epb.view.setUint32(16, Number(units & 0xffffffffn), little);
      epb.view.setUint32(20, captured.length, little);
      epb.view.setUint32(24, originalLength, little);
      epb.bytes.set(captured, 28);
      sink.write(epb.bytes);
      packetsWritten++;
    },
    close() {
      sink.close();
    },
  };
}

export function createPcapngFileWriter(path: string, options: PcapngWriterOptions = {}): PcapngWriter {
  return createPcapngWriter(openSink(path), { name: path, ...options });
}

// Encodes packets into one in-memory pcapng file with a single section.
export function encodePcapng(packets: Iterable<PacketToWrite>, options: PcapngWriterOptions = {}): Uint8Array {
  const sink = memorySink();
  const writer = createPcapngWriter(sink, options);
  for (const packet of packets) writer.write(packet);
  writer.close();
  return sink.bytes();
}
