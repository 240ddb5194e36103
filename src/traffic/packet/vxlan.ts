// The VXLAN header (RFC 7348 section 5): a flags byte whose I bit (0x08) says
// the VNI is valid, 24 reserved bits, the 24-bit VXLAN Network Identifier, 8
// reserved bits. It rides in UDP to port 4789 and carries an Ethernet frame.
import { needBytes, type DecodeStep, type DecodedVxlan } from "./decoded.ts";
import { fieldValue, placedAt, type Frame, type VxlanLayer } from "./layer.ts";

export const VXLAN_HEADER_BYTES = 8;
const FLAG_VNI_VALID = 0x08;
const MAX_VNI = 0xffffff;

export interface VxlanOptions {
  readonly vni: number;
  readonly flags?: number;
}

export function vxlanLayer(input: number | VxlanOptions): VxlanLayer {
  const options = typeof input === "number" ? { vni: input } : input;
  return {
    kind: "vxlan",
    vni: fieldValue(options.vni, MAX_VNI, "VXLAN", "VNI"),
    flags: fieldValue(options.flags ?? FLAG_VNI_VALID, 0xff, "VXLAN", "flags"),
  };
}

export function writeVxlan(frame: Frame, index: number): void {
  const { layer, offset } = placedAt<VxlanLayer>(frame, index);
  frame.view.setUint32(offset, layer.flags << 24);
  frame.view.setUint32(offset + 4, layer.vni << 8);
}

export function decodeVxlan(bytes: Uint8Array, offset: number, end: number): DecodeStep<DecodedVxlan> {
  const short = needBytes("VXLAN header", VXLAN_HEADER_BYTES, offset, end);
  if (short) return short;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, VXLAN_HEADER_BYTES);
  const flags = bytes[offset];
  const layer: DecodedVxlan = { kind: "vxlan", offset, flags, vni: view.getUint32(4) >>> 8 };
  if ((flags & FLAG_VNI_VALID) === 0) return { ok: true, layer, next: undefined, carrier: "a VXLAN header without the I flag", nextOffset: offset + VXLAN_HEADER_BYTES, end };
  return { ok: true, layer, next: "ethernet", nextOffset: offset + VXLAN_HEADER_BYTES, end };
}

export function describeVxlan(decoded: DecodedVxlan): string {
  return `VXLAN vni ${decoded.vni}${(decoded.flags & FLAG_VNI_VALID) === 0 ? ` flags 0x${decoded.flags.toString(16)}` : ""}`;
}
