// What each capture format's reader provides to capture-reader.ts: the next
// packet, or undefined at a clean end of file; a PcapError when the file is
// truncated or corrupt.
import type { CapturedPacket } from "../captured-packet.ts";

export interface PacketParser {
  next(): CapturedPacket | undefined;
}
