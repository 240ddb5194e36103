// What `offload-sim traffic gen|show` do, loaded only when one runs (see traffic.ts for their options).
import { rmSync } from "node:fs";
import {
  createPcapFileWriter,
  createPcapngFileWriter,
  describePacket,
  formatTrafficSpec,
  generateTraffic,
  linkTypeName,
  openCaptureFile,
  parseTrafficSpec,
  type CaptureReader,
  type CaptureWriter,
} from "../../traffic/index.ts";
import type { GenArgs, ShowArgs } from "./traffic.ts";

const MAX_SEED = (1n << 64n) - 1n;
// Lines are written in batches: one write per packet is slow on a pipe.
const LINES_PER_WRITE = 1024;
const NANOSECOND_DIGITS = 9;

// `traffic gen`: the spec's packets into a capture file.
export function trafficGen(args: GenArgs): void {
  const spec = parseTrafficSpec(args.spec);
  if (args.packets !== undefined && !(Number.isSafeInteger(args.packets) && args.packets >= 1)) {
    throw `--packets must be a whole number of at least 1, not ${args.packets}.`;
  }
  const seed = args.seed === undefined ? undefined : parseSeed(args.seed);
  const writer: CaptureWriter = args.pcapng ? createPcapngFileWriter(args.output) : createPcapFileWriter(args.output);
  let malformed = 0;
  let synFlood = 0;
  let lastNs = 0n;
  try {
    for (const packet of generateTraffic(spec, { packets: args.packets, seed })) {
      writer.write(packet);
      if (packet.malformation !== undefined) malformed++;
      if (packet.synFlood) synFlood++;
      lastNs = packet.timestampNs;
    }
  } catch (err) {
    writer.close();
    rmSync(args.output, { force: true });
    throw err;
  }
  writer.close();
  process.stdout.write(
    `wrote ${writer.packetsWritten} packets (${malformed} malformed, ${synFlood} SYN flood, ` +
      `the last at ${formatSeconds(lastNs)} s) to ${args.output}\nspec: ${formatTrafficSpec(spec)}\n`,
  );
}

// `traffic show`: one line per packet of a capture.
export function trafficShow(args: ShowArgs): void {
  if (args.limit !== undefined && !(Number.isSafeInteger(args.limit) && args.limit >= 0)) {
    throw `--limit must be a whole number, not ${args.limit}.`;
  }
  exitQuietlyOnClosedPipe();
  const reader = openCaptureFile(args.file, { partial: args.partial });
  const lines: string[] = [headerLine(reader)];
  const flush = (): void => {
    if (lines.length > 0) process.stdout.write(`${lines.join("\n")}\n`);
    lines.length = 0;
  };
  try {
    for (const packet of args.limit === 0 ? [] : reader) {
      const interfaceNote = packet.sectionIndex > 0 || packet.interfaceId > 0 ? ` if ${packet.sectionIndex}.${packet.interfaceId}` : "";
      lines.push(`${reader.packetCount} ${formatSeconds(packet.timestampNs)}${interfaceNote} ${packet.data.length} bytes ${describePacket(packet)}`);
      if (lines.length >= LINES_PER_WRITE) flush();
      if (args.limit !== undefined && reader.packetCount >= args.limit) break;
    }
  } finally {
    reader.close();
    flush();
  }
  if (reader.error !== undefined) {
    process.stdout.write(`# ${reader.packetCount} packets read before the error\n`);
    throw reader.error;
  }
}

function parseSeed(text: string): bigint {
  if (!/^[0-9]{1,20}$/.test(text) || BigInt(text) > MAX_SEED) throw `--seed must be a whole number from 0 to 2^64-1, not "${text}".`;
  return BigInt(text);
}

function headerLine(reader: CaptureReader): string {
  const header = reader.pcapHeader;
  if (header !== undefined) {
    return `# pcap ${header.versionMajor}.${header.versionMinor}, ${header.byteOrder}-endian, ${header.resolution}second timestamps, snaplen ${header.snaplen}, ${linkTypeName(header.linkType)}`;
  }
  return reader.format === "pcapng" ? "# pcapng" : "# unreadable capture";
}

function formatSeconds(timestampNs: bigint): string {
  const seconds = timestampNs / 1_000_000_000n;
  const fraction = (timestampNs % 1_000_000_000n).toString().padStart(NANOSECOND_DIGITS, "0");
  return `${seconds}.${fraction}`;
}

function exitQuietlyOnClosedPipe(): void {
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
}
