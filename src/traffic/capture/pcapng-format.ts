// The pcapng file format, as draft-ietf-opsawg-pcapng describes it: a sequence
// of blocks, each `type, total length, body, total length`, 32-bit aligned.
// A Section Header Block starts each section and fixes its byte order; the
// Interface Description Blocks that follow it are numbered 0, 1, 2... within it.

export const BlockType = {
  SECTION_HEADER: 0x0a0d0d0a,
  INTERFACE_DESCRIPTION: 0x00000001,
  // The obsolete Packet Block (appendix A of the draft), still found in old files.
  OBSOLETE_PACKET: 0x00000002,
  SIMPLE_PACKET: 0x00000003,
  ENHANCED_PACKET: 0x00000006,
} as const;

// Written in the section's byte order, so reading it tells the order.
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const PCAPNG_VERSION_MAJOR = 1;
export const PCAPNG_VERSION_MINOR = 0;

// type + total length before the body, total length after it.
export const BLOCK_HEADER_BYTES = 8;
export const BLOCK_TRAILER_BYTES = 4;
export const BLOCK_MIN_BYTES = BLOCK_HEADER_BYTES + BLOCK_TRAILER_BYTES;
export const BLOCK_ALIGNMENT_BYTES = 4;

// Fixed parts of the bodies, before packet data or options.
export const SHB_FIXED_BYTES = 16;
export const IDB_FIXED_BYTES = 8;
export const EPB_FIXED_BYTES = 20;
export const SPB_FIXED_BYTES = 4;
export const OPB_FIXED_BYTES = 20;

// Blocks this reader has to hold in memory are refused above this size (libpcap
// and Wireshark cap block sizes similarly); unknown blocks are skipped whatever their size.
export const MAX_READ_BLOCK_BYTES = 16 * 1024 * 1024;

export const OptionCode = {
  END_OF_OPTIONS: 0,
  COMMENT: 1,
  IF_TSRESOL: 9,
  IF_TSOFFSET: 14,
} as const;
export const OPTION_HEADER_BYTES = 4;

export function paddedLength(length: number): number {
  return (length + BLOCK_ALIGNMENT_BYTES - 1) & ~(BLOCK_ALIGNMENT_BYTES - 1);
}
