// Reads a pcapng file (pcapng-format.ts) block by block from a ByteSource:
// sections in either byte order, their interfaces with if_tsresol/if_tsoffset,
// and the packets of Enhanced, Simple and obsolete Packet Blocks. Other blocks
// (name resolution, statistics, custom...) are skipped by their length.
import type { CapturedPacket } from "../captured-packet.ts";
import { PcapError } from "../errors.ts";
import type { ByteSource } from "../io/byte-source.ts";
import type { PacketParser } from "./packet-parser.ts";
import { NANOSECONDS_PER_SECOND, type ByteOrder } from "./pcap-format.ts";
import {
  BLOCK_ALIGNMENT_BYTES,
  BLOCK_HEADER_BYTES,
  BLOCK_MIN_BYTES,
  BLOCK_TRAILER_BYTES,
  BYTE_ORDER_MAGIC,
  BlockType,
  EPB_FIXED_BYTES,
  IDB_FIXED_BYTES,
  MAX_READ_BLOCK_BYTES,
  OPB_FIXED_BYTES,
  OPTION_HEADER_BYTES,
  OptionCode,
  PCAPNG_VERSION_MAJOR,
  SHB_FIXED_BYTES,
  SPB_FIXED_BYTES,
  paddedLength,
} from "./pcapng-format.ts";
import { DEFAULT_RESOLUTION, decodeTsresol, unitsPerSecond, unitsToNanoseconds } from "./timestamp-resolution.ts";

export interface PcapngInterface {
  readonly linkType: number;
  // 0 means no limit.
  readonly snaplen: number;
  readonly tsUnitsPerSecond: bigint;
  readonly tsOffsetSeconds: bigint;
}

interface Section {
  readonly index: number;
  readonly byteOrder: ByteOrder;
  readonly interfaces: PcapngInterface[];
  // Simple Packet Blocks carry no timestamp; they reuse the last one seen.
  lastTimestampNs: bigint;
}

// A block's body, with where it started (for error messages).
interface Block {
  readonly type: number;
  readonly offset: number;
  readonly body: DataView;
  readonly bytes: Uint8Array;
}

// The first block's type (4 bytes) has already been consumed by format detection.
export function pcapngPacketParser(source: ByteSource): PacketParser {
  let section: Section | undefined;
  let sectionCount = 0;
  let firstBlock = true;

  const fail = (offset: number, problem: string): never => {
    throw new PcapError(source.name, offset, problem);
  };

  // Reads one block; undefined at a clean end of file. Unknown blocks are skipped, not returned.
  const nextBlock = (): Block | undefined => {
    for (;;) {
      const offset = firstBlock ? 0 : source.offset;
      let type: number;
      let lengthBytes: Uint8Array;
      if (firstBlock) {
        firstBlock = false;
        type = BlockType.SECTION_HEADER;
        lengthBytes = source.read(BLOCK_HEADER_BYTES - 4);
        if (lengthBytes.length < 4) fail(offset, "the first Section Header Block is cut short");
      } else {
        const head = source.read(BLOCK_HEADER_BYTES);
        if (head.length === 0) return undefined;
        if (head.length < BLOCK_HEADER_BYTES) {
          fail(offset, `a block header is cut short: ${BLOCK_HEADER_BYTES} bytes expected, ${head.length} present`);
        }
        type = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, section?.byteOrder !== "big");
        lengthBytes = head.subarray(4);
      }
      const lengthView = new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 4);
      if (type === BlockType.SECTION_HEADER) return readSectionHeader(offset, lengthView);
      if (section === undefined) return fail(offset, "the file does not start with a Section Header Block");
      const totalLength = lengthView.getUint32(0, section.byteOrder === "little");
      checkTotalLength(offset, type, totalLength);
      if (isKnown(type)) return readBody(offset, type, totalLength);
      const bodyAndTrailer = totalLength - BLOCK_HEADER_BYTES;
      const skipped = source.skip(bodyAndTrailer - BLOCK_TRAILER_BYTES);
      if (skipped < bodyAndTrailer - BLOCK_TRAILER_BYTES) fail(offset, cutShort(type, totalLength));
      readTrailer(offset, type, totalLength);
    }
  };

  const checkTotalLength = (offset: number, type: number, totalLength: number): void => {
    if (totalLength < BLOCK_MIN_BYTES || totalLength % BLOCK_ALIGNMENT_BYTES !== 0) {
      fail(offset, `${blockName(type)} has total length ${totalLength}, not a multiple of 4 of at least ${BLOCK_MIN_BYTES}`);
    }
    if (source.sizeBytes !== undefined && offset + totalLength > source.sizeBytes) {
      fail(offset, cutShort(type, totalLength));
    }
  };

  const readTrailer = (offset: number, type: number, totalLength: number): void => {
    const trailer = source.read(BLOCK_TRAILER_BYTES);
    if (trailer.length < BLOCK_TRAILER_BYTES) fail(offset, cutShort(type, totalLength));
    const repeated = new DataView(trailer.buffer, trailer.byteOffset, 4).getUint32(0, section?.byteOrder !== "big");
    if (repeated !== totalLength) {
      fail(offset, `${blockName(type)} ends with total length ${repeated}, but starts with ${totalLength}`);
    }
  };

  const readBody = (offset: number, type: number, totalLength: number): Block => {
    if (totalLength > MAX_READ_BLOCK_BYTES) {
      fail(offset, `${blockName(type)} is ${totalLength} bytes long, more than the ${MAX_READ_BLOCK_BYTES}-byte limit`);
    }
    const bodyLength = totalLength - BLOCK_MIN_BYTES;
    const view = source.read(bodyLength);
    if (view.length < bodyLength) fail(offset, cutShort(type, totalLength));
    // The trailer read below may reuse the buffer, so the body is copied first.
    const bytes = view.slice();
    readTrailer(offset, type, totalLength);
    return { type, offset, bytes, body: new DataView(bytes.buffer, 0, bytes.length) };
  };

  const readSectionHeader = (offset: number, lengthView: DataView): Block => {
    const magicBytes = source.read(4);
    if (magicBytes.length < 4) fail(offset, "the Section Header Block is cut short");
    const magic = new DataView(magicBytes.buffer, magicBytes.byteOffset, 4).getUint32(0, true);
    let byteOrder: ByteOrder;
    if (magic === BYTE_ORDER_MAGIC) byteOrder = "little";
    else if (new DataView(magicBytes.buffer, magicBytes.byteOffset, 4).getUint32(0, false) === BYTE_ORDER_MAGIC) {
      byteOrder = "big";
    } else {
      return fail(offset + BLOCK_HEADER_BYTES, "the Section Header Block's byte-order magic is neither 1a2b3c4d nor 4d3c2b1a");
    }
    const little = byteOrder === "little";
    const totalLength = lengthView.getUint32(0, little);
    if (totalLength < BLOCK_MIN_BYTES + SHB_FIXED_BYTES || totalLength % BLOCK_ALIGNMENT_BYTES !== 0) {
      fail(offset, `the Section Header Block has total length ${totalLength}, not a multiple of 4 of at least 28`);
    }
    if (source.sizeBytes !== undefined && offset + totalLength > source.sizeBytes) {
      fail(offset, cutShort(BlockType.SECTION_HEADER, totalLength));
    }
    if (totalLength > MAX_READ_BLOCK_BYTES) fail(offset, `the Section Header Block is ${totalLength} bytes long`);
    const restLength = totalLength - BLOCK_MIN_BYTES - 4;
    const rest = source.read(restLength);
    if (rest.length < restLength) fail(offset, cutShort(BlockType.SECTION_HEADER, totalLength));
    const restView = new DataView(rest.buffer, rest.byteOffset, rest.length);
    const versionMajor = restView.getUint16(0, little);
    const versionMinor = restView.getUint16(2, little);
    if (versionMajor !== PCAPNG_VERSION_MAJOR) {
      fail(offset, `unsupported pcapng version ${versionMajor}.${versionMinor} (only ${PCAPNG_VERSION_MAJOR}.x is defined)`);
    }
    section = { index: sectionCount++, byteOrder, interfaces: [], lastTimestampNs: 0n };
    readTrailer(offset, BlockType.SECTION_HEADER, totalLength);
    return { type: BlockType.SECTION_HEADER, offset, bytes: new Uint8Array(0), body: new DataView(new ArrayBuffer(0)) };
  };

  const readInterface = (block: Block, current: Section): void => {
    const little = current.byteOrder === "little";
    if (block.bytes.length < IDB_FIXED_BYTES) fail(block.offset, "an Interface Description Block is too short for its fixed fields");
    let resolution = DEFAULT_RESOLUTION;
    let tsOffsetSeconds = 0n;
    for (const option of options(block, IDB_FIXED_BYTES, little)) {
      if (option.code === OptionCode.IF_TSRESOL && option.length === 1) {
        resolution = decodeTsresol(block.body.getUint8(option.valueAt));
      } else if (option.code === OptionCode.IF_TSOFFSET && option.length === 8) {
        tsOffsetSeconds = block.body.getBigInt64(option.valueAt, little);
      }
    }
    current.interfaces.push({
      linkType: block.body.getUint16(0, little),
      snaplen: block.body.getUint32(4, little),
      tsUnitsPerSecond: unitsPerSecond(resolution),
      tsOffsetSeconds,
    });
  };

  // Walks an option list from `start` to the end of the body; stops at opt_endofopt.
  function* options(block: Block, start: number, little: boolean): Generator<{ code: number; length: number; valueAt: number }> {
    let at = start;
    while (at + OPTION_HEADER_BYTES <= block.bytes.length) {
      const code = block.body.getUint16(at, little);
      const length = block.body.getUint16(at + 2, little);
      if (code === OptionCode.END_OF_OPTIONS) return;
      const valueAt = at + OPTION_HEADER_BYTES;
      if (valueAt + length > block.bytes.length) {
        fail(block.offset, `${blockName(block.type)} has option ${code} of ${length} bytes running past the block's end`);
      }
      yield { code, length, valueAt };
      at = valueAt + paddedLength(length);
    }
  }

  const interfaceOf = (block: Block, current: Section, interfaceId: number): PcapngInterface => {
    const found = current.interfaces[interfaceId];
    if (found === undefined) {
      fail(
        block.offset,
        `${blockName(block.type)} refers to interface ${interfaceId}, but section ${current.index} describes ${current.interfaces.length}`,
      );
    }
    return found;
  };

  const timestampOf = (block: Block, at: number, iface: PcapngInterface, little: boolean): bigint => {
    const high = BigInt(block.body.getUint32(at, little));
    const low = BigInt(block.body.getUint32(at + 4, little));
    return unitsToNanoseconds((high << 32n) | low, iface.tsUnitsPerSecond) + iface.tsOffsetSeconds * NANOSECONDS_PER_SECOND;
  };

  // The timestamped packet blocks (EPB and OPB) share one layout after their interface field.
  const timestampedPacket = (block: Block, current: Section, interfaceId: number, fixedBytes: number): CapturedPacket => {
    const little = current.byteOrder === "little";
    if (block.bytes.length < fixedBytes) fail(block.offset, `${blockName(block.type)} is too short for its fixed fields`);
    const iface = interfaceOf(block, current, interfaceId);
    const capturedLength = block.body.getUint32(fixedBytes - 8, little);
    const originalLength = block.body.getUint32(fixedBytes - 4, little);
    if (fixedBytes + capturedLength > block.bytes.length) {
      fail(block.offset, `${blockName(block.type)} claims ${capturedLength} captured bytes, more than the block holds`);
    }
    if (capturedLength > originalLength) {
      fail(block.offset, `${blockName(block.type)} claims ${capturedLength} captured bytes of a ${originalLength}-byte packet`);
    }
    const timestampNs = timestampOf(block, fixedBytes - 16, iface, little);
    current.lastTimestampNs = timestampNs;
    return {
      timestampNs,
      data: block.bytes.slice(fixedBytes, fixedBytes + capturedLength),
      originalLength,
      linkType: iface.linkType,
      interfaceId,
      sectionIndex: current.index,
    };
  };

  const simplePacket = (block: Block, current: Section): CapturedPacket => {
    const little = current.byteOrder === "little";
    if (block.bytes.length < SPB_FIXED_BYTES) fail(block.offset, "a Simple Packet Block is too short for its fixed fields");
    const iface = interfaceOf(block, current, 0);
    const originalLength = block.body.getUint32(0, little);
    // The draft: captured length is the smaller of the original length and the interface's snaplen.
    const limit = iface.snaplen === 0 ? originalLength : Math.min(originalLength, iface.snaplen);
    const capturedLength = Math.min(limit, block.bytes.length - SPB_FIXED_BYTES);
    return {
      timestampNs: current.lastTimestampNs,
      data: block.bytes.slice(SPB_FIXED_BYTES, SPB_FIXED_BYTES + capturedLength),
      originalLength,
      linkType: iface.linkType,
      interfaceId: 0,
      sectionIndex: current.index,
    };
  };

  return {
    next() {
      for (;;) {
        const block = nextBlock();
        if (block === undefined) return undefined;
        const current = section;
        if (current === undefined) return fail(block.offset, "the file does not start with a Section Header Block");
        const little = current.byteOrder === "little";
        switch (block.type) {
          case BlockType.SECTION_HEADER:
            break;
          case BlockType.INTERFACE_DESCRIPTION:
            readInterface(block, current);
            break;
          case BlockType.ENHANCED_PACKET:
            if (block.bytes.length < EPB_FIXED_BYTES) fail(block.offset, "an Enhanced Packet Block is too short for its fixed fields");
            return timestampedPacket(block, current, block.body.getUint32(0, little), EPB_FIXED_BYTES);
          case BlockType.OBSOLETE_PACKET:
            if (block.bytes.length < OPB_FIXED_BYTES) fail(block.offset, "a Packet Block is too short for its fixed fields");
            return timestampedPacket(block, current, block.body.getUint16(0, little), OPB_FIXED_BYTES);
          case BlockType.SIMPLE_PACKET:
            return simplePacket(block, current);
          default:
            break;
        }
      }
    },
  };
}

function isKnown(type: number): boolean {
  return (
    type === BlockType.INTERFACE_DESCRIPTION ||
    type === BlockType.ENHANCED_PACKET ||
    type === BlockType.SIMPLE_PACKET ||
    type === BlockType.OBSOLETE_PACKET
  );
}

function blockName(type: number): string {
  switch (type) {
    case BlockType.SECTION_HEADER:
      return "the Section Header Block";
    case BlockType.INTERFACE_DESCRIPTION:
      return "an Interface Description Block";
    case BlockType.ENHANCED_PACKET:
      return "an Enhanced Packet Block";
    case BlockType.SIMPLE_PACKET:
      return "a Simple Packet Block";
    case BlockType.OBSOLETE_PACKET:
      return "a Packet Block";
    default:
      return `a block of type 0x${type.toString(16).padStart(8, "0")}`;
  }
}

function cutShort(type: number, totalLength: number): string {
  return `${blockName(type)} of ${totalLength} bytes is cut short by the end of the file`;
}
