// The one table of helper prototypes: what each helper id is called, what its
// arguments and return value are, and whether an XDP program may call it. The
// verifier checks calls against it, the interpreter dispatches through it and
// the offload compiler decides from it what can run on the NIC.
//
// Ids are the kernel's enum bpf_func_id (include/uapi/linux/bpf.h, the
// ___BPF_FUNC_MAPPER list, numbered from 0). Argument and return kinds are the
// kernel's struct bpf_func_proto fields for the XDP variant of each helper
// (net/core/filter.c xdp_func_proto, kernel/bpf/helpers.c bpf_base_func_proto,
// kernel/bpf/ringbuf.c, kernel/bpf/core.c), as of Linux 6.18: the base type
// (enum bpf_arg_type / enum bpf_return_type) plus the modifier flags the
// kernel ORs into it (MEM_RDONLY, PTR_MAYBE_NULL, ...).

import { IPV4_MIN_HEADER_BYTES } from "../traffic/packet/ipv4.ts";
import { IPV6_HEADER_BYTES } from "../traffic/packet/ipv6.ts";
import { TCP_MIN_HEADER_BYTES } from "../traffic/packet/tcp.ts";

export type ArgType =
  | "ARG_ANYTHING"
  | "ARG_CONST_MAP_PTR"
  | "ARG_PTR_TO_MAP_KEY"
  | "ARG_PTR_TO_MAP_VALUE"
  | "ARG_PTR_TO_MEM"
  | "ARG_PTR_TO_FIXED_SIZE_MEM"
  | "ARG_CONST_SIZE"
  | "ARG_CONST_SIZE_OR_ZERO"
  | "ARG_CONST_ALLOC_SIZE_OR_ZERO"
  | "ARG_PTR_TO_CTX"
  | "ARG_PTR_TO_RINGBUF_MEM"
  | "ARG_PTR_TO_SPIN_LOCK"
  | "ARG_PTR_TO_FUNC"
  | "ARG_PTR_TO_STACK"
  | "ARG_PTR_TO_CONST_STR"
  | "ARG_PTR_TO_TIMER"
  | "ARG_PTR_TO_KPTR"
  | "ARG_PTR_TO_BTF_ID";

// Modifiers of an argument (include/linux/bpf.h enum bpf_type_flag).
export type ArgFlag = "MEM_RDONLY" | "MEM_UNINIT" | "MEM_WRITE" | "MEM_ALIGNED" | "PTR_MAYBE_NULL" | "OBJ_RELEASE" | "MEM_FIXED_SIZE";

export type RetType = "RET_INTEGER" | "RET_VOID" | "RET_PTR_TO_MAP_VALUE" | "RET_PTR_TO_MEM" | "RET_PTR_TO_BTF_ID";
export type RetFlag = "PTR_MAYBE_NULL" | "MEM_RINGBUF" | "MEM_RDONLY";

export interface HelperArg {
  readonly type: ArgType;
  readonly flags?: readonly ArgFlag[];
  // The size of a fixed-size memory argument (the proto's argN_size).
  readonly sizeBytes?: number;
}

export interface HelperReturn {
  readonly type: RetType;
  readonly flags?: readonly RetFlag[];
}

export interface HelperPrototype {
  readonly id: number;
  // The name without the bpf_ prefix, as in BPF_FUNC_<name>.
  readonly name: string;
  readonly args: readonly HelperArg[];
  readonly ret: HelperReturn;
  readonly gplOnly: boolean;
  // The helper accepts packet pointers as memory arguments (bpf_func_proto.pkt_access).
  readonly pktAccess: boolean;
  // An XDP program may call it (xdp_func_proto or its fallback bpf_base_func_proto).
  readonly allowedInXdp: boolean;
  // It may move or resize the packet, so every packet pointer taken before the call is stale
  // (net/core/filter.c bpf_helper_changes_pkt_data).
  readonly changesPacketData: boolean;
}

// enum bpf_func_id values of the helpers in the table (BPF_FUNC_<name>).
export const HelperId = {
  MAP_LOOKUP_ELEM: 1,
  MAP_UPDATE_ELEM: 2,
  MAP_DELETE_ELEM: 3,
  KTIME_GET_NS: 5,
  TRACE_PRINTK: 6,
  GET_PRANDOM_U32: 7,
  GET_SMP_PROCESSOR_ID: 8,
  TAIL_CALL: 12,
  GET_CURRENT_PID_TGID: 14,
  REDIRECT: 23,
  PERF_EVENT_OUTPUT: 25,
  CSUM_DIFF: 28,
  GET_NUMA_NODE_ID: 42,
  XDP_ADJUST_HEAD: 44,
  REDIRECT_MAP: 51,
  XDP_ADJUST_META: 54,
  XDP_ADJUST_TAIL: 65,
  FIB_LOOKUP: 69,
  MAP_PUSH_ELEM: 87,
  MAP_POP_ELEM: 88,
  MAP_PEEK_ELEM: 89,
  SPIN_LOCK: 93,
  SPIN_UNLOCK: 94,
  STRTOL: 105,
  STRTOUL: 106,
  PROBE_READ_KERNEL: 113,
  PROBE_READ_KERNEL_STR: 115,
  JIFFIES64: 118,
  GET_NS_CURRENT_PID_TGID: 120,
  KTIME_GET_BOOT_NS: 125,
  RINGBUF_OUTPUT: 130,
  RINGBUF_RESERVE: 131,
  RINGBUF_SUBMIT: 132,
  RINGBUF_DISCARD: 133,
  RINGBUF_QUERY: 134,
  KTIME_GET_COARSE_NS: 160,
  CHECK_MTU: 163,
  FOR_EACH_MAP_ELEM: 164,
  SNPRINTF: 165,
  TRACE_VPRINTK: 177,
  LOOP: 181,
  STRNCMP: 182,
  XDP_GET_BUFF_LEN: 188,
  XDP_LOAD_BYTES: 189,
  XDP_STORE_BYTES: 190,
  MAP_LOOKUP_PERCPU_ELEM: 195,
  TCP_RAW_GEN_SYNCOOKIE_IPV4: 204,
  TCP_RAW_GEN_SYNCOOKIE_IPV6: 205,
  TCP_RAW_CHECK_SYNCOOKIE_IPV4: 206,
  TCP_RAW_CHECK_SYNCOOKIE_IPV6: 207,
  KTIME_GET_TAI_NS: 208,
} as const;

const anything: HelperArg = { type: "ARG_ANYTHING" };
const ctx: HelperArg = { type: "ARG_PTR_TO_CTX" };
const mapPtr: HelperArg = { type: "ARG_CONST_MAP_PTR" };
const mapKey: HelperArg = { type: "ARG_PTR_TO_MAP_KEY" };
const mapValue: HelperArg = { type: "ARG_PTR_TO_MAP_VALUE" };
const mapValueOut: HelperArg = { type: "ARG_PTR_TO_MAP_VALUE", flags: ["MEM_UNINIT", "MEM_WRITE"] };
const readOnlyMem: HelperArg = { type: "ARG_PTR_TO_MEM", flags: ["MEM_RDONLY"] };
const readOnlyMemOrNull: HelperArg = { type: "ARG_PTR_TO_MEM", flags: ["MEM_RDONLY", "PTR_MAYBE_NULL"] };
const writableMem: HelperArg = { type: "ARG_PTR_TO_MEM", flags: ["MEM_WRITE"] };
const uninitMem: HelperArg = { type: "ARG_PTR_TO_MEM", flags: ["MEM_UNINIT", "MEM_WRITE"] };
const uninitMemOrNull: HelperArg = { type: "ARG_PTR_TO_MEM", flags: ["MEM_UNINIT", "MEM_WRITE", "PTR_MAYBE_NULL"] };
const size: HelperArg = { type: "ARG_CONST_SIZE" };
const sizeOrZero: HelperArg = { type: "ARG_CONST_SIZE_OR_ZERO" };
const callback: HelperArg = { type: "ARG_PTR_TO_FUNC" };
const stackOrNull: HelperArg = { type: "ARG_PTR_TO_STACK", flags: ["PTR_MAYBE_NULL"] };

// A read-only header of the packet, sizeof(struct iphdr / ipv6hdr / tcphdr) long (the SYN-cookie helpers).
const headerIn = (sizeBytes: number): HelperArg => ({ type: "ARG_PTR_TO_FIXED_SIZE_MEM", flags: ["MEM_RDONLY"], sizeBytes });

const integer: HelperReturn = { type: "RET_INTEGER" };
const none: HelperReturn = { type: "RET_VOID" };

interface Row {
  readonly args?: readonly HelperArg[];
  readonly ret?: HelperReturn;
  readonly gplOnly?: boolean;
  readonly pktAccess?: boolean;
  readonly allowedInXdp?: boolean;
  readonly changesPacketData?: boolean;
}

const proto = (id: number, name: string, row: Row = {}): HelperPrototype => ({
  id,
  name,
  args: row.args ?? [],
  ret: row.ret ?? integer,
  gplOnly: row.gplOnly ?? false,
  pktAccess: row.pktAccess ?? false,
  allowedInXdp: row.allowedInXdp ?? true,
  changesPacketData: row.changesPacketData ?? false,
});

export const helperPrototypes: readonly HelperPrototype[] = [
  proto(HelperId.MAP_LOOKUP_ELEM, "map_lookup_elem", {
    args: [mapPtr, mapKey],
    ret: { type: "RET_PTR_TO_MAP_VALUE", flags: ["PTR_MAYBE_NULL"] },
    pktAccess: true,
  }),
  proto(HelperId.MAP_UPDATE_ELEM, "map_update_elem", { args: [mapPtr, mapKey, mapValue, anything], pktAccess: true }),
  proto(HelperId.MAP_DELETE_ELEM, "map_delete_elem", { args: [mapPtr, mapKey], pktAccess: true }),
  proto(HelperId.KTIME_GET_NS, "ktime_get_ns"),
  proto(HelperId.TRACE_PRINTK, "trace_printk", { args: [readOnlyMem, size], gplOnly: true }),
  proto(HelperId.GET_PRANDOM_U32, "get_prandom_u32"),
  proto(HelperId.GET_SMP_PROCESSOR_ID, "get_smp_processor_id"),
  proto(HelperId.TAIL_CALL, "tail_call", { args: [ctx, mapPtr, anything], ret: none }),
  proto(HelperId.GET_CURRENT_PID_TGID, "get_current_pid_tgid"),
  proto(HelperId.REDIRECT, "redirect", { args: [anything, anything] }),
  proto(HelperId.PERF_EVENT_OUTPUT, "perf_event_output", { args: [ctx, mapPtr, anything, readOnlyMem, sizeOrZero], gplOnly: true }),
  proto(HelperId.CSUM_DIFF, "csum_diff", {
    args: [readOnlyMemOrNull, sizeOrZero, readOnlyMemOrNull, sizeOrZero, anything],
    pktAccess: true,
  }),
  proto(HelperId.GET_NUMA_NODE_ID, "get_numa_node_id"),
  proto(HelperId.XDP_ADJUST_HEAD, "xdp_adjust_head", { args: [ctx, anything], changesPacketData: true }),
  proto(HelperId.REDIRECT_MAP, "redirect_map", { args: [mapPtr, anything, anything] }),
  proto(HelperId.XDP_ADJUST_META, "xdp_adjust_meta", { args: [ctx, anything], changesPacketData: true }),
  proto(HelperId.XDP_ADJUST_TAIL, "xdp_adjust_tail", { args: [ctx, anything], changesPacketData: true }),
  proto(HelperId.FIB_LOOKUP, "fib_lookup", { args: [ctx, writableMem, size, anything], gplOnly: true }),
  proto(HelperId.MAP_PUSH_ELEM, "map_push_elem", { args: [mapPtr, mapValue, anything], pktAccess: true }),
  proto(HelperId.MAP_POP_ELEM, "map_pop_elem", { args: [mapPtr, mapValueOut] }),
  proto(HelperId.MAP_PEEK_ELEM, "map_peek_elem", { args: [mapPtr, mapValueOut] }),
  proto(HelperId.SPIN_LOCK, "spin_lock", { args: [{ type: "ARG_PTR_TO_SPIN_LOCK" }], ret: none }),
  proto(HelperId.SPIN_UNLOCK, "spin_unlock", { args: [{ type: "ARG_PTR_TO_SPIN_LOCK" }], ret: none }),
  proto(HelperId.STRTOL, "strtol", {
    args: [readOnlyMem, size, anything, { type: "ARG_PTR_TO_FIXED_SIZE_MEM", flags: ["MEM_UNINIT", "MEM_WRITE", "MEM_ALIGNED"], sizeBytes: 8 }],
  }),
  proto(HelperId.STRTOUL, "strtoul", {
    args: [readOnlyMem, size, anything, { type: "ARG_PTR_TO_FIXED_SIZE_MEM", flags: ["MEM_UNINIT", "MEM_WRITE", "MEM_ALIGNED"], sizeBytes: 8 }],
  }),
  // bpf_base_func_proto offers it to a loader with CAP_PERFMON (kernel/trace/bpf_trace.c bpf_probe_read_kernel_proto).
  proto(HelperId.PROBE_READ_KERNEL, "probe_read_kernel", { args: [uninitMem, sizeOrZero, anything], gplOnly: true }),
  proto(HelperId.PROBE_READ_KERNEL_STR, "probe_read_kernel_str", { args: [uninitMem, sizeOrZero, anything], gplOnly: true }),
  proto(HelperId.JIFFIES64, "jiffies64"),
  proto(HelperId.GET_NS_CURRENT_PID_TGID, "get_ns_current_pid_tgid", { args: [anything, anything, uninitMem, size] }),
  proto(HelperId.KTIME_GET_BOOT_NS, "ktime_get_boot_ns"),
  proto(HelperId.RINGBUF_OUTPUT, "ringbuf_output", { args: [mapPtr, readOnlyMem, sizeOrZero, anything] }),
  proto(HelperId.RINGBUF_RESERVE, "ringbuf_reserve", {
    args: [mapPtr, { type: "ARG_CONST_ALLOC_SIZE_OR_ZERO" }, anything],
    ret: { type: "RET_PTR_TO_MEM", flags: ["MEM_RINGBUF", "PTR_MAYBE_NULL"] },
  }),
  proto(HelperId.RINGBUF_SUBMIT, "ringbuf_submit", { args: [{ type: "ARG_PTR_TO_RINGBUF_MEM", flags: ["OBJ_RELEASE"] }, anything], ret: none }),
  proto(HelperId.RINGBUF_DISCARD, "ringbuf_discard", { args: [{ type: "ARG_PTR_TO_RINGBUF_MEM", flags: ["OBJ_RELEASE"] }, anything], ret: none }),
  proto(HelperId.RINGBUF_QUERY, "ringbuf_query", { args: [mapPtr, anything] }),
  proto(HelperId.KTIME_GET_COARSE_NS, "ktime_get_coarse_ns"),
  proto(HelperId.CHECK_MTU, "check_mtu", {
    args: [ctx, anything, { type: "ARG_PTR_TO_FIXED_SIZE_MEM", flags: ["MEM_WRITE", "MEM_ALIGNED"], sizeBytes: 4 }, anything, anything],
  }),
  proto(HelperId.FOR_EACH_MAP_ELEM, "for_each_map_elem", { args: [mapPtr, callback, stackOrNull, anything] }),
  proto(HelperId.SNPRINTF, "snprintf", {
    args: [uninitMemOrNull, sizeOrZero, { type: "ARG_PTR_TO_CONST_STR" }, readOnlyMemOrNull, sizeOrZero],
    gplOnly: true,
  }),
  proto(HelperId.TRACE_VPRINTK, "trace_vprintk", { args: [readOnlyMem, size, readOnlyMemOrNull, sizeOrZero], gplOnly: true }),
  proto(HelperId.LOOP, "loop", { args: [anything, callback, stackOrNull, anything] }),
  proto(HelperId.STRNCMP, "strncmp", { args: [readOnlyMem, size, { type: "ARG_PTR_TO_CONST_STR" }] }),
  proto(HelperId.XDP_GET_BUFF_LEN, "xdp_get_buff_len", { args: [ctx] }),
  proto(HelperId.XDP_LOAD_BYTES, "xdp_load_bytes", { args: [ctx, anything, uninitMem, size] }),
  proto(HelperId.XDP_STORE_BYTES, "xdp_store_bytes", { args: [ctx, anything, uninitMem, size] }),
  proto(HelperId.MAP_LOOKUP_PERCPU_ELEM, "map_lookup_percpu_elem", {
    args: [mapPtr, mapKey, anything],
    ret: { type: "RET_PTR_TO_MAP_VALUE", flags: ["PTR_MAYBE_NULL"] },
    pktAccess: true,
  }),
  proto(HelperId.KTIME_GET_TAI_NS, "ktime_get_tai_ns"),
  // net/core/filter.c, offered to XDP with CONFIG_SYN_COOKIES: gen takes the TCP header and its length (th_len).
  proto(HelperId.TCP_RAW_GEN_SYNCOOKIE_IPV4, "tcp_raw_gen_syncookie_ipv4", {
    args: [headerIn(IPV4_MIN_HEADER_BYTES), readOnlyMem, sizeOrZero],
    gplOnly: true,
    pktAccess: true,
  }),
  proto(HelperId.TCP_RAW_GEN_SYNCOOKIE_IPV6, "tcp_raw_gen_syncookie_ipv6", {
    args: [headerIn(IPV6_HEADER_BYTES), readOnlyMem, sizeOrZero],
    gplOnly: true,
    pktAccess: true,
  }),
  proto(HelperId.TCP_RAW_CHECK_SYNCOOKIE_IPV4, "tcp_raw_check_syncookie_ipv4", {
    args: [headerIn(IPV4_MIN_HEADER_BYTES), headerIn(TCP_MIN_HEADER_BYTES)],
    gplOnly: true,
    pktAccess: true,
  }),
  proto(HelperId.TCP_RAW_CHECK_SYNCOOKIE_IPV6, "tcp_raw_check_syncookie_ipv6", {
    args: [headerIn(IPV6_HEADER_BYTES), headerIn(TCP_MIN_HEADER_BYTES)],
    gplOnly: true,
    pktAccess: true,
  }),
];

const byId = new Map(helperPrototypes.map((p) => [p.id, p]));

export const helperPrototype = (id: number): HelperPrototype | undefined => byId.get(id);

export const helperName = (id: number): string => {
  const known = byId.get(id);
  return known ? `bpf_${known.name}` : `helper #${id}`;
};
