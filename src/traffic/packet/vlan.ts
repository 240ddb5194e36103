// An IEEE 802.1Q VLAN tag (TPID 0x8100) or an IEEE 802.1ad service tag (TPID
// 0x88a8, the outer tag of QinQ). The TPID sits where the EtherType would be, so
// this layer is the 4 bytes after it: the TCI (priority 3 bits, drop eligible
// 1 bit, VLAN id 12 bits) and the EtherType of what the tag carries.
import { needBytes, type DecodeStep, type DecodedVlan } from "./decoded.ts";
import { afterEtherType } from "./ethernet.ts";
import { etherTypeFor, fieldValue, nextLayer, placedAt, type Frame, type VlanLayer } from "./layer.ts";
import { EtherType } from "./protocol-numbers.ts";

export const VLAN_TAG_BYTES = 4;
const MAX_VLAN_ID = 0xfff;
const MAX_PRIORITY = 7;

export interface VlanOptions {
  readonly vlanId: number;
  readonly priority?: number;
  readonly dropEligible?: boolean;
  readonly etherType?: number;
}

export function vlanLayer(input: number | VlanOptions, tpid: number): VlanLayer {
  const options = typeof input === "number" ? { vlanId: input } : input;
  const name = tpid === EtherType.QINQ ? "802.1ad tag" : "802.1Q tag";
  return {
    kind: "vlan",
    tpid,
    vlanId: fieldValue(options.vlanId, MAX_VLAN_ID, name, "VLAN id"),
    priority: fieldValue(options.priority ?? 0, MAX_PRIORITY, name, "priority"),
    dropEligible: options.dropEligible ?? false,
    etherType: options.etherType === undefined ? undefined : fieldValue(options.etherType, 0xffff, name, "EtherType"),
  };
}

export function writeVlan(frame: Frame, index: number): void {
  const { layer, offset } = placedAt<VlanLayer>(frame, index);
  const tci = (layer.priority << 13) | (layer.dropEligible ? 1 << 12 : 0) | layer.vlanId;
  frame.view.setUint16(offset, tci);
  frame.view.setUint16(offset + 2, etherTypeFor(nextLayer(frame, index), layer.etherType));
}

// `tpid` is the EtherType that announced this tag.
export function decodeVlan(bytes: Uint8Array, offset: number, end: number, tpid: number): DecodeStep<DecodedVlan> {
  const short = needBytes("VLAN tag", VLAN_TAG_BYTES, offset, end);
  if (short) return short;
  const tci = (bytes[offset] << 8) | bytes[offset + 1];
  const etherType = (bytes[offset + 2] << 8) | bytes[offset + 3];
  return {
    ok: true,
    layer: {
      kind: "vlan",
      offset,
      tpid,
      vlanId: tci & MAX_VLAN_ID,
      priority: tci >> 13,
      dropEligible: (tci & (1 << 12)) !== 0,
      etherType,
    },
    ...afterEtherType(etherType),
    nextOffset: offset + VLAN_TAG_BYTES,
    end,
  };
}

export function describeVlan(decoded: DecodedVlan): string {
  const standard = decoded.tpid === EtherType.QINQ ? "802.1ad" : "802.1Q";
  return `${standard} vlan ${decoded.vlanId}${decoded.priority ? ` pri ${decoded.priority}` : ""}${decoded.dropEligible ? " DEI" : ""}`;
}
