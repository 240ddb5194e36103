// bpf_check_mtu for XDP (net/core/filter.c bpf_xdp_check_mtu, Linux 6.18):
//
//   flags != 0 -> -EINVAL; no device `ifindex` (0: the receiving one) -> -ENODEV
//   (both leave *mtu_len as it was, as 6.18 does; later patches write 0 there);
//   mtu = dev->mtu; len = *mtu_len ? *mtu_len + hard_header_len : data_end - data;
//   len + len_diff > mtu + hard_header_len -> BPF_MTU_CHK_RET_FRAG_NEEDED (1), else 0;
//   *mtu_len = mtu.
//
// Devices are the route table's (src/helpers/fib.ts); the loopback device
// (ifindex 1), which the kernel's test run receives on, is there in every
// namespace even when the table does not list it.
import { ETH_HLEN } from "../xdp/layout.ts";
import { Errno } from "../maps/errno.ts";
import { isOutcome, writableBytes, xdpSession } from "./args.ts";
import { routesOf } from "./fib.ts";
import { returns, type HelperCall, type HelperOutcome } from "./runtime.ts";

// include/uapi/linux/bpf.h enum bpf_check_mtu_ret.
const FRAG_NEEDED = 1;
// drivers/net/loopback.c: ifindex 1, mtu 64 KiB, hard_header_len ETH_HLEN.
const LOOPBACK_IFINDEX = 1;
const LOOPBACK_MTU = 64 * 1024;

const asInt = (value: bigint): number => Number(BigInt.asIntN(32, value));

// The device's MTU (every simulated device has an Ethernet header), undefined when there is none.
function deviceMtu(call: HelperCall, ifindex: number): number | undefined {
  const device = routesOf(call.machine.routes).devices.find((d) => d.ifindex === ifindex);
  if (device) return device.mtu;
  return ifindex === LOOPBACK_IFINDEX ? LOOPBACK_MTU : undefined;
}

export function checkMtu(call: HelperCall): HelperOutcome {
  const xdp = xdpSession(call);
  if (isOutcome(xdp)) return xdp;
  const [, ifindexArg, mtuLenAddress, lenDiffArg, flags] = call.args;
  const mtuLen = writableBytes(call, mtuLenAddress, 4);
  if (isOutcome(mtuLen)) return mtuLen;
  const view = new DataView(mtuLen.buffer, mtuLen.byteOffset, 4);
  if (flags !== 0n) return returns(-Errno.EINVAL);
  const ifindex = Number(BigInt.asUintN(32, ifindexArg));
  const mtu = deviceMtu(call, ifindex === 0 ? xdp.rx.ingressIfindex : ifindex);
  if (mtu === undefined) return returns(-Errno.ENODEV);
  const given = view.getUint32(0, true);
  const packetBytes = given !== 0 ? (given + ETH_HLEN) | 0 : xdp.buffer.dataEnd - xdp.buffer.data;
  const length = (packetBytes + asInt(lenDiffArg)) | 0;
  view.setUint32(0, mtu >>> 0, true);
  return returns(length > mtu + ETH_HLEN ? FRAG_NEEDED : 0);
}
