// bpf_redirect and bpf_redirect_map for XDP (net/core/filter.c bpf_xdp_redirect,
// __bpf_xdp_redirect_map). Both only record where the packet should go and
// return the action the program is expected to pass on: XDP_REDIRECT, or
// XDP_ABORTED for flags the kernel refuses. When the map slot is empty,
// redirect_map returns the fallback action held in the low bits of flags.
import { MapType, type BpfMap, type RedirectTarget } from "../maps/types.ts";
import { XdpAction } from "../xdp/layout.ts";
import { isOutcome, mapArgument, u32Key, xdpSessionOf } from "./args.ts";
import { helperName } from "./prototypes.ts";
import { misuse, returns, type HelperCall, type HelperOutcome } from "./runtime.ts";

// include/uapi/linux/bpf.h
const BPF_F_BROADCAST = 1n << 3n;
const BPF_F_EXCLUDE_INGRESS = 1n << 4n;
// The fallback actions a redirect_map flags word may carry (XDP_ABORTED | DROP | PASS | TX).
const ACTION_MASK = BigInt(XdpAction.ABORTED | XdpAction.DROP | XdpAction.PASS | XdpAction.TX);

export function redirect(call: HelperCall): HelperOutcome {
  const xdp = xdpSessionOf(call);
  if (isOutcome(xdp)) return xdp;
  if (call.args[1] !== 0n) return returns(XdpAction.ABORTED);
  xdp.redirect = { kind: "ifindex", ifindex: Number(BigInt.asUintN(32, call.args[0])) };
  return returns(XdpAction.REDIRECT);
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
  const flags = call.args[2];
  if ((flags & ~(ACTION_MASK | flagMask)) !== 0n) return returns(XdpAction.ABORTED);
  const key = Number(BigInt.asUintN(32, call.args[1]));
  const target = redirectTarget(map, key);
  const broadcast = (flags & BPF_F_BROADCAST) !== 0n;
  if (!target && !broadcast) {
    xdp.redirect = undefined;
    return returns(flags & ACTION_MASK);
  }
  xdp.redirect = { kind: "map", map: map.def.name, key, target, broadcast, excludeIngress: (flags & BPF_F_EXCLUDE_INGRESS) !== 0n };
  return returns(XdpAction.REDIRECT);
}

// The flags each map type's map_redirect accepts besides the fallback action.
function redirectFlagMask(type: number): bigint | undefined {
  switch (type) {
    case MapType.DEVMAP:
    case MapType.DEVMAP_HASH:
      return BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS;
    case MapType.CPUMAP:
    case MapType.XSKMAP:
      return 0n;
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
