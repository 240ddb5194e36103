// The XDP packet buffer: one frame of bytes and four offsets into it, as the
// kernel's struct xdp_buff keeps four pointers:
//
//   0 (data_hard_start)   data_meta   data            data_end           hardEnd    frameBytes
//   |<---- headroom ----->|<- meta ->|<---- packet ---->|<--- tailroom --->|<- shared info ->|
//
// The XDP helpers (adjust_head/tail/meta) move the offsets; the program reads
// and writes bytes between data_meta and data_end only.
import { OffloadSimError } from "../errors.ts";
import {
  SKB_SHARED_INFO_BYTES,
  TEST_RUN_FRAME_BYTES,
  XDP_METADATA_MAX_BYTES,
  XDP_PACKET_HEADROOM,
  MAX_LINEAR_PACKET_BYTES,
  xdpMetadataLengthInvalid,
} from "./layout.ts";

export interface XdpBuffer {
  readonly frame: Uint8Array;
  dataMeta: number;
  data: number;
  dataEnd: number;
  // The end of the area the packet may grow into (frame size minus the shared info).
  readonly hardEnd: number;
}

export class XdpInputError extends OffloadSimError {}

// Builds the frame BPF_PROG_TEST_RUN would build for this packet (and optional
// metadata in front of it): data starts at XDP_PACKET_HEADROOM, metadata just before.
export function createXdpBuffer(packet: Uint8Array, metadata: Uint8Array = NO_METADATA): XdpBuffer {
  const buffer = { frame: new Uint8Array(TEST_RUN_FRAME_BYTES), dataMeta: 0, data: 0, dataEnd: 0, hardEnd: TEST_RUN_FRAME_BYTES - SKB_SHARED_INFO_BYTES };
  checkFits(packet, metadata);
  place(buffer, packet, metadata);
  return buffer;
}

// Makes a frame createXdpBuffer built what createXdpBuffer would build for another packet:
// the whole frame zeroed (what the last run wrote in head- or tailroom included), the packet
// and metadata placed, the offsets back at their start.
export function refillXdpBuffer(buffer: XdpBuffer, packet: Uint8Array, metadata: Uint8Array = NO_METADATA): void {
  checkFits(packet, metadata);
  buffer.frame.fill(0);
  place(buffer, packet, metadata);
}

function checkFits(packet: Uint8Array, metadata: Uint8Array): void {
  if (xdpMetadataLengthInvalid(metadata.length)) {
    throw new XdpInputError(
      `XDP metadata of ${metadata.length} bytes is invalid: it must be a multiple of 4 bytes and at most ${XDP_METADATA_MAX_BYTES}.`,
    );
  }
  const maxPacket = MAX_LINEAR_PACKET_BYTES;
  if (packet.length > maxPacket) {
    throw new XdpInputError(
      `packet of ${packet.length} bytes does not fit one XDP frame (at most ${maxPacket} bytes; multi-buffer frames are not modelled).`,
    );
  }
}

// Puts packet and metadata into a zeroed frame.
function place(buffer: XdpBuffer, packet: Uint8Array, metadata: Uint8Array): void {
  const frame = buffer.frame;
  const data = XDP_PACKET_HEADROOM;
  frame.set(metadata, data - metadata.length);
  frame.set(packet, data);
  buffer.dataMeta = data - metadata.length;
  buffer.data = data;
  buffer.dataEnd = data + packet.length;
}

const NO_METADATA = new Uint8Array(0);

export const packetBytes = (buffer: XdpBuffer): Uint8Array => buffer.frame.slice(buffer.data, buffer.dataEnd);
export const metadataBytes = (buffer: XdpBuffer): Uint8Array => buffer.frame.slice(buffer.dataMeta, buffer.data);
