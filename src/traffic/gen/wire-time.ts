// How long a frame occupies an Ethernet link. Besides the frame itself (from
// destination MAC to FCS) each frame costs a preamble and start frame
// delimiter before it and an inter-packet gap after it, and a frame shorter
// than the minimum is padded: IEEE Std 802.3, clause 3.1.1 (preamble 7 octets,
// SFD 1 octet, FCS 4 octets) and clause 4.4.2 (interPacketGap 96 bit times,
// minFrameSize 512 bits = 64 octets including the FCS).
// So at 10 Gb/s back-to-back 64-byte frames take (64 + 8 + 12) * 8 = 672 bit times: 14.88 Mpps.

export const PREAMBLE_AND_SFD_BYTES = 8;
export const INTERPACKET_GAP_BYTES = 12;
export const FCS_BYTES = 4;
export const MIN_FRAME_BYTES = 64;
export const BITS_PER_BYTE = 8;

// Bytes a frame occupies on the wire; `capturedBytes` is the frame as captured, without its FCS.
export function wireBytes(capturedBytes: number): number {
  return Math.max(capturedBytes + FCS_BYTES, MIN_FRAME_BYTES) + PREAMBLE_AND_SFD_BYTES + INTERPACKET_GAP_BYTES;
}

// Bit times a frame occupies on the wire.
export function wireBits(capturedBytes: number): number {
  return wireBytes(capturedBytes) * BITS_PER_BYTE;
}
