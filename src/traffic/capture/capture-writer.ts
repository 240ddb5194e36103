// What both capture writers accept and offer.
import type { CapturedPacket } from "../captured-packet.ts";

// A packet to write: its bytes and time at least; the original length defaults
// to the byte count, the interface to 0, and the link type to the interface's.
export interface PacketToWrite {
  readonly timestampNs: bigint;
  readonly data: Uint8Array;
  readonly originalLength?: number;
  readonly linkType?: number;
  readonly interfaceId?: number;
}

export interface CaptureWriter {
  readonly packetsWritten: number;
  readonly bytesWritten: number;
  write(packet: PacketToWrite | CapturedPacket): void;
  // Flushes and releases the output.
  close(): void;
}

