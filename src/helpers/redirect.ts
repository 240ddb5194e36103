// bpf_redirect and bpf_redirect_map for XDP (net/core/filter.c bpf_xdp_redirect,
// __bpf_xdp_redirect_map). Both only record where the packet should go and
// return the action the program is expected to pass on: XDP_REDIRECT, or
// XDP_ABORTED for flags the kernel refuses. When the map slot is empty,
// redirect_map returns the fallback action held in the low bits of flags.
import { MapType, type BpfMap, type RedirectTarget } from "../maps/types.ts";
import { XdpAction } from "../xdp/layout.ts";
import { isOutcome, mapArgument, u32Key, xdpSessionOf } from "./args.ts";
import { helperName } from "./prototypes.ts";
import { misuse, returns, type HelperCall, type HelperOutcome, type XdpSession } from "./runtime.ts";

// include/uapi/linux/bpf.h
const BPF_F_BROADCAST = 1 << 3;
const BPF_F_EXCLUDE_INGRESS = 1 << 4;
// The fallback actions a redirect_map flags word may carry (XDP_ABORTED | DROP | PASS | TX).
const ACTION_MASK = XdpAction.ABORTED | XdpAction.DROP | XdpAction.PASS | XdpAction.TX;

export function redirect(call: HelperCall): HelperOutcome {
  const xdp = xdpSessionOf(call);
  if (isOutcome(xdp)) return xdp;
  return returns(redirectToIfindex(xdp, Number(BigInt.asUintN(32, call.args[0])), call.args[1] !== 0n));
}

// bpf_redirect on the session: any flag at all is refused with XDP_ABORTED. (The compiled tier calls these cores directly.)
export function redirectToIfindex(xdp: XdpSession, ifindex: number, anyFlags: boolean): number {
  if (anyFlags) return XdpAction.ABORTED;
  xdp.redirect = { kind: "ifindex", ifindex };
  return XdpAction.REDIRECT;
}

export function redirectMap(call: HelperCall): HelperOutcome {
  const xdp = xdpSessionOf(call);
  if (isOutcome(xdp)) return xdp;
  const map = mapArgument(call, 0);
  if (isOutcome(map)) return map;
  const flagMask = redirectFlagMask(map.def.type);
  if (flagMask === undefined) {
    return misuse(`${helperName(call.id)} cannot redirect through map '${map.def.name}' (type ${map.def.type})`);
  }
  // Every flag the maps accept is in the low 32 bits: anything above is refused like any unknown flag.
  const flags = call.args[2];
  const key = Number(BigInt.asUintN(32, call.args[1]));
  return returns(flags > 0xffff_ffffn ? XdpAction.ABORTED : redirectThroughMap(xdp, map, flagMask, key, Number(flags)));
}

// bpf_redirect_map on the session, for a map whose type accepts `flagMask` and a flags word of 32 bits.
export function redirectThroughMap(xdp: XdpSession, map: BpfMap, flagMask: number, key: number, flags: number): number {
  if ((flags & ~(ACTION_MASK | flagMask)) !== 0) return XdpAction.ABORTED;
  const target = redirectTarget(map, key);
  const broadcast = (flags & BPF_F_BROADCAST) !== 0;
  if (!target && !broadcast) {
    xdp.redirect = undefined;
    return flags & ACTION_MASK;
  }
  xdp.redirect = { kind: "map", map: map.def.name, key, target, broadcast, excludeIngress: (flags & BPF_F_EXCLUDE_INGRESS) !== 0 };
  return XdpAction.REDIRECT;
}

// The flags each map type's map_redirect accepts besides the fallback action.
export function redirectFlagMask(type: number): number | undefined {
  switch (type) {
    case MapType.DEVMAP:
    case MapType.DEVMAP_HASH:
      return BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS;
    case MapType.CPUMAP:
    case MapType.XSKMAP:
      return 0;
    default:
      return undefined;
  }
}

// The map's own answer when it has one; otherwise read the slot's value the way the
// syscall side stores it (struct bpf_devmap_val / bpf_cpumap_val, or an XSK fd).
function redirectTarget(map: BpfMap, key: number): RedirectTarget | undefined {
  if (map.redirectTarget) return map.redirectTarget(key);
  const value = map.lookup(u32Key(key), 0);
  if (!value) return undefined;
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const word = (at: number): number => (value.byteLength >= at + 4 ? view.getUint32(at, true) : 0);
  switch (map.def.type) {
    case MapType.CPUMAP:
      return { kind: "cpu", cpu: key, queueSize: word(0), programFd: word(4) };
    case MapType.XSKMAP:
      return { kind: "xsk", queueIndex: key, socket: word(0) };
    default:
      return { kind: "device", ifindex: word(0), programFd: word(4) };
  }
}
