// Opens a capture (pcap or pcapng, told apart by the first four bytes) as a
// one-pass iterator of packets. Memory stays flat: a file is read through one
// buffer and each packet is handed out as it is parsed.
//
// A truncated or corrupt capture ends in one PcapError. With `partial: true`
// the iteration stops quietly at that point instead, and `error` holds it.
import type { CapturedPacket } from "../captured-packet.ts";
import { PcapError } from "../errors.ts";
import { bufferSource, fileSource, type ByteSource } from "../io/byte-source.ts";
import type { PacketParser } from "./packet-parser.ts";
import type { PcapFileHeader } from "./pcap-format.ts";
import { pcapMagicKind, pcapPacketParser, readPcapHeader } from "./pcap-reader.ts";
import { BlockType } from "./pcapng-format.ts";
import { pcapngPacketParser } from "./pcapng-reader.ts";

export type CaptureFormat = "pcap" | "pcapng";

export interface ReadCaptureOptions {
  // Stop at the first error and keep the packets before it, instead of throwing.
  readonly partial?: boolean;
}

export interface CaptureReader extends Iterable<CapturedPacket> {
  readonly name: string;
  // Undefined only when the file is too damaged to tell (partial mode).
  readonly format: CaptureFormat | undefined;
  // The pcap file header; undefined for pcapng.
  readonly pcapHeader: PcapFileHeader | undefined;
  // The error that ended a partial read, once iteration has reached it.
  readonly error: PcapError | undefined;
  // Packets handed out so far.
  readonly packetCount: number;
  // Releases the file; iteration to the end (or a `break`) also does.
  close(): void;
}

export interface CaptureContents {
  readonly format: CaptureFormat | undefined;
  readonly packets: CapturedPacket[];
  // Set only in partial mode: what stopped the read.
  readonly error: PcapError | undefined;
}

const MAGIC_BYTES = 4;

export function openCaptureFile(path: string, options: ReadCaptureOptions = {}): CaptureReader {
  let source: ByteSource;
  try {
    source = fileSource(path);
  } catch (err) {
    throw new PcapError(path, 0, `cannot open the capture: ${describeFileError(err)}`);
  }
  return openCaptureSource(source, options);
}

export function openCaptureBuffer(bytes: Uint8Array, options: ReadCaptureOptions & { name?: string } = {}): CaptureReader {
  return openCaptureSource(bufferSource(bytes, options.name ?? "capture"), options);
}

// Reads a whole capture held in memory.
export function readCaptureBuffer(bytes: Uint8Array, options: ReadCaptureOptions & { name?: string } = {}): CaptureContents {
  const reader = openCaptureBuffer(bytes, options);
  const packets = [...reader];
  return { format: reader.format, packets, error: reader.error };
}

// Reads a whole capture file into memory; for big files iterate openCaptureFile instead.
export function readCaptureFile(path: string, options: ReadCaptureOptions = {}): CaptureContents {
  const reader = openCaptureFile(path, options);
  const packets = [...reader];
  return { format: reader.format, packets, error: reader.error };
}

function openCaptureSource(source: ByteSource, options: ReadCaptureOptions): CaptureReader {
  let format: CaptureFormat | undefined;
  let pcapHeader: PcapFileHeader | undefined;
  let parser: PacketParser | undefined;
  let error: PcapError | undefined;
  let packetCount = 0;
  let used = false;

  try {
    const opened = detectAndOpen(source);
    format = opened.format;
    pcapHeader = opened.pcapHeader;
    parser = opened.parser;
  } catch (err) {
    source.close();
    if (!(err instanceof PcapError) || !options.partial) throw err;
    error = err;
  }

  function* packets(): Generator<CapturedPacket> {
    if (used) throw new Error(`${source.name}: a CaptureReader can be iterated only once`);
    used = true;
    if (parser === undefined) return;
    try {
      for (;;) {
        let packet: CapturedPacket | undefined;
        try {
          packet = parser.next();
        } catch (err) {
          if (err instanceof PcapError && options.partial) {
            error = err;
            return;
          }
          throw err;
        }
        if (packet === undefined) return;
        packetCount++;
        yield packet;
      }
    } finally {
      source.close();
    }
  }

  return {
    name: source.name,
    get format() {
      return format;
    },
    get pcapHeader() {
      return pcapHeader;
    },
    get error() {
      return error;
    },
    get packetCount() {
      return packetCount;
    },
    close() {
      source.close();
    },
    [Symbol.iterator]: packets,
  };
}

function detectAndOpen(source: ByteSource): { format: CaptureFormat; pcapHeader?: PcapFileHeader; parser: PacketParser } {
  const magic = source.read(MAGIC_BYTES);
  if (magic.length < MAGIC_BYTES) {
    throw new PcapError(source.name, 0, `not a capture: ${magic.length} bytes long, too short for a pcap or pcapng header`);
  }
  const magicLittleEndian = new DataView(magic.buffer, magic.byteOffset, MAGIC_BYTES).getUint32(0, true);
  if (magicLittleEndian === BlockType.SECTION_HEADER) {
    return { format: "pcapng", parser: pcapngPacketParser(source) };
  }
  if (pcapMagicKind(magicLittleEndian) !== undefined) {
    const header = readPcapHeader(source, magicLittleEndian);
    return { format: "pcap", pcapHeader: header, parser: pcapPacketParser(source, header) };
  }
  const hex = [...magic].map((byte) => byte.toString(16).padStart(2, "0")).join(" ");
  throw new PcapError(source.name, 0, `not a pcap or pcapng capture: it starts with bytes ${hex}`);
}

function describeFileError(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "it is a directory";
  return typeof code === "string" ? code : String(err);
}
