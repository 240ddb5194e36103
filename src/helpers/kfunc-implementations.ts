// What the kfuncs the simulator runs do, by name (a kfunc has no fixed id:
// the kernel BTF numbers it). The same calling convention as helpers
// (runtime.ts), so every tier runs them alike.
//
// XDP RX metadata (net/core/xdp.c): the kernel's own bodies answer
// -EOPNOTSUPP; a driver's replace them only in a device-bound program, which
// BPF_PROG_TEST_RUN does not run, so -EOPNOTSUPP is what a host sees.
// Conntrack (net/netfilter/nf_conntrack_bpf.c): the simulator holds no
// connection table, so a lookup finds nothing: NULL, with opts->error set to
// the first error __bpf_nf_ct_lookup would return for these arguments, and
// -ENOENT when they are valid. bpf_ct_release of NULL does nothing (it is
// the only pointer a lookup here returns). bpf_xdp_ct_alloc and the
// functions on allocated entries are not run (a fault names them).
import { isMemoryAccessError } from "../interp/fault.ts";
import { Errno } from "../maps/errno.ts";
import { memoryError, returns, type HelperCall, type HelperImplementation, type HelperOutcome } from "./runtime.ts";

// struct bpf_ct_opts (this kernel's BTF: 16 bytes; 12 before ct_zone_id/ct_zone_dir were added).
const CT_OPTS = { netnsId: 0, error: 4, l4proto: 8, bytes: 16, legacyBytes: 12 } as const;
// Bytes that must be zero: reserved[3] of the 16-byte layout, the old reserved[2] of the 12-byte one.
const CT_OPTS_RESERVED = { 16: [13, 14, 15], 12: [10, 11] } as const;
// sizeof(bpf_sock_tuple.ipv4) and .ipv6 (include/uapi/linux/bpf.h).
const TUPLE_IPV4_BYTES = 12;
const TUPLE_IPV6_BYTES = 36;
// include/uapi/linux/in.h.
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
// include/uapi/linux/bpf.h BPF_F_CURRENT_NETNS.
const BPF_F_CURRENT_NETNS = -1;

const eOpNotSupp: HelperImplementation = () => returns(-Errno.EOPNOTSUPP);

function ctLookup(call: HelperCall): HelperOutcome {
  const [, tuple, tupleBytesArg, opts, optsBytesArg] = call.args;
  const optsBytes = Number(BigInt.asUintN(32, optsBytesArg));
  const tupleBytes = Number(BigInt.asUintN(32, tupleBytesArg));
  if (opts === 0n) return returns(0);
  const known = optsBytes === CT_OPTS.bytes || optsBytes === CT_OPTS.legacyBytes;
  const view = call.machine.memory.view(opts, known ? optsBytes : CT_OPTS.legacyBytes, "write");
  if (isMemoryAccessError(view)) return memoryError(view);
  const fields = new DataView(view.buffer, view.byteOffset, view.byteLength);
  const error = ctLookupError(tuple, tupleBytes, fields, known ? (optsBytes as 12 | 16) : undefined);
  fields.setInt32(CT_OPTS.error, -error, true);
  return returns(0);
}

// __bpf_nf_ct_lookup's checks in its order; ENOENT when they all pass (no table here).
function ctLookupError(tuple: bigint, tupleBytes: number, opts: DataView, optsBytes: 12 | 16 | undefined): number {
  if (tuple === 0n || optsBytes === undefined) return Errno.EINVAL;
  if (CT_OPTS_RESERVED[optsBytes].some((at) => opts.getUint8(at) !== 0)) return Errno.EINVAL;
  const l4proto = opts.getUint8(CT_OPTS.l4proto);
  if (l4proto !== IPPROTO_TCP && l4proto !== IPPROTO_UDP) return Errno.EPROTO;
  if (opts.getInt32(CT_OPTS.netnsId, true) < BPF_F_CURRENT_NETNS) return Errno.EINVAL;
  if (tupleBytes !== TUPLE_IPV4_BYTES && tupleBytes !== TUPLE_IPV6_BYTES) return Errno.EAFNOSUPPORT;
  if (opts.getInt32(CT_OPTS.netnsId, true) >= 0) return Errno.ENONET;
  return Errno.ENOENT;
}

function ctRelease(call: HelperCall): HelperOutcome {
  if (call.args[0] !== 0n) return { kind: "misuse", message: `bpf_ct_release of 0x${call.args[0].toString(16)}, which no lookup of this run returned` };
  return { kind: "fall-through" };
}

export const kfuncImplementations: ReadonlyMap<string, HelperImplementation> = new Map<string, HelperImplementation>([
  ["bpf_xdp_metadata_rx_timestamp", eOpNotSupp],
  ["bpf_xdp_metadata_rx_hash", eOpNotSupp],
  ["bpf_xdp_metadata_rx_vlan_tag", eOpNotSupp],
  ["bpf_xdp_ct_lookup", ctLookup],
  ["bpf_ct_release", ctRelease],
]);
