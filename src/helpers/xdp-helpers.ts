// The XDP packet helpers of net/core/filter.c, with the kernel's limits:
// bpf_xdp_adjust_head, bpf_xdp_adjust_tail, bpf_xdp_adjust_meta,
// bpf_xdp_get_buff_len, bpf_xdp_load_bytes, bpf_xdp_store_bytes.
// Offsets are the `int` or `u32` the kernel's BPF_CALL signature declares, so
// the upper register bits are dropped the same way.
import { Errno } from "../maps/errno.ts";
import type { XdpBuffer } from "../xdp/buffer.ts";
import { ETH_HLEN, XDP_FRAME_BYTES, xdpMetadataLengthInvalid } from "../xdp/layout.ts";
import { isOutcome, readBytes, writableBytes, xdpSession } from "./args.ts";
import { returns, type HelperCall, type HelperOutcome } from "./runtime.ts";

// include/uapi/asm-generic/errno-base.h (adjust_meta's answer to a bad metadata length).
const EACCES = 13;
// bpf_xdp_pointer refuses offsets and lengths above 0xffff with -EFAULT.
const XDP_POINTER_LIMIT = 0xffff;

const asInt = (value: bigint): number => Number(BigInt.asIntN(32, value));
const asU32 = (value: bigint): number => Number(BigInt.asUintN(32, value));

// bpf_xdp_adjust_head on the buffer itself: 0, or -EINVAL leaving it as it was. (The compiled tier calls these cores directly.)
export function adjustHead(buffer: XdpBuffer, offset: number): number {
  const metaBytes = buffer.data - buffer.dataMeta;
  // The packet may not start inside the xdp_frame the kernel keeps at the head, nor leave less than an Ethernet header.
  const lowest = XDP_FRAME_BYTES + metaBytes;
  const data = buffer.data + offset;
  if (data < lowest || data > buffer.dataEnd - ETH_HLEN) return -Errno.EINVAL;
  if (metaBytes > 0) buffer.frame.copyWithin(buffer.dataMeta + offset, buffer.dataMeta, buffer.data);
  buffer.dataMeta += offset;
  buffer.data = data;
  return 0;
}

export function adjustTail(buffer: XdpBuffer, offset: number): number {
  const dataEnd = buffer.dataEnd + offset;
  if (dataEnd > buffer.hardEnd) return -Errno.EINVAL;
  if (dataEnd < buffer.data + ETH_HLEN) return -Errno.EINVAL;
  // Growing clears the new bytes (they could hold stale data).
  if (offset > 0) buffer.frame.fill(0, buffer.dataEnd, dataEnd);
  buffer.dataEnd = dataEnd;
  return 0;
}

export function adjustMeta(buffer: XdpBuffer, offset: number): number {
  const meta = buffer.dataMeta + offset;
  if (meta < XDP_FRAME_BYTES || meta > buffer.data) return -Errno.EINVAL;
  if (xdpMetadataLengthInvalid(buffer.data - meta)) return -EACCES;
  buffer.dataMeta = meta;
  return 0;
}

// The three adjust helpers: the context, then the offset as the kernel's `int`.
function adjust(call: HelperCall, core: (buffer: XdpBuffer, offset: number) => number): HelperOutcome {
  const xdp = xdpSession(call);
  if (isOutcome(xdp)) return xdp;
  return returns(core(xdp.buffer, asInt(call.args[1])));
}

export const xdpAdjustHead = (call: HelperCall): HelperOutcome => adjust(call, adjustHead);
export const xdpAdjustTail = (call: HelperCall): HelperOutcome => adjust(call, adjustTail);
export const xdpAdjustMeta = (call: HelperCall): HelperOutcome => adjust(call, adjustMeta);

export function xdpGetBuffLen(call: HelperCall): HelperOutcome {
  const xdp = xdpSession(call);
  if (isOutcome(xdp)) return xdp;
  return returns(xdp.buffer.dataEnd - xdp.buffer.data);
}

// bpf_xdp_load_bytes / bpf_xdp_store_bytes: copy between packet offset and a buffer.
function copyPacketBytes(call: HelperCall, direction: "load" | "store"): HelperOutcome {
  const xdp = xdpSession(call);
  if (isOutcome(xdp)) return xdp;
  const buffer = xdp.buffer;
  const offset = asU32(call.args[1]);
  const length = asU32(call.args[3]);
  if (offset > XDP_POINTER_LIMIT || length > XDP_POINTER_LIMIT) return returns(-Errno.EFAULT);
  if (offset + length > buffer.dataEnd - buffer.data) return returns(-Errno.EINVAL);
  const start = buffer.data + offset;
  if (direction === "load") {
    const out = writableBytes(call, call.args[2], length);
    if (isOutcome(out)) return out;
    out.set(buffer.frame.subarray(start, start + length));
  } else {
    const bytes = readBytes(call, call.args[2], length);
    if (isOutcome(bytes)) return bytes;
    buffer.frame.set(bytes, start);
  }
  return returns(0);
}

export const xdpLoadBytes = (call: HelperCall): HelperOutcome => copyPacketBytes(call, "load");
export const xdpStoreBytes = (call: HelperCall): HelperOutcome => copyPacketBytes(call, "store");
