import type { AttachTypeName, ProgTypeName } from "./prog-types.ts";

// How libbpf infers a program's type from its ELF section name: the
// section_defs[] table of libbpf 1.x (tools/lib/bpf/libbpf.c), in its order,
// since the first match wins. A pattern ending in '/' matches any name with
// that prefix; one ending in '+' matches the exact name or name + "/..."; any
// other pattern matches exactly.

export interface SectionDef {
  readonly pattern: string;
  readonly progType: ProgTypeName;
  readonly attachType?: AttachTypeName;
  readonly sleepable?: boolean;
  readonly xdpFrags?: boolean; // SEC_XDP_FRAGS: loaded with BPF_F_XDP_HAS_FRAGS
}

const def = (pattern: string, progType: ProgTypeName, attachType?: AttachTypeName, flags: Partial<SectionDef> = {}): SectionDef => ({
  pattern,
  progType,
  ...(attachType ? { attachType } : {}),
  ...flags,
});
const sleepable = { sleepable: true } as const;
const frags = { xdpFrags: true } as const;

export const sectionDefs: readonly SectionDef[] = [
  def("socket", "socket_filter"),
  def("sk_reuseport/migrate", "sk_reuseport", "sk_reuseport_select_or_migrate"),
  def("sk_reuseport", "sk_reuseport", "sk_reuseport_select"),
  def("kprobe+", "kprobe"),
  def("uprobe+", "kprobe"),
  def("uprobe.s+", "kprobe", undefined, sleepable),
  def("kretprobe+", "kprobe"),
  def("uretprobe+", "kprobe"),
  def("uretprobe.s+", "kprobe", undefined, sleepable),
  def("kprobe.multi+", "kprobe", "trace_kprobe_multi"),
  def("kretprobe.multi+", "kprobe", "trace_kprobe_multi"),
  def("uprobe.multi+", "kprobe", "trace_uprobe_multi"),
  def("uretprobe.multi+", "kprobe", "trace_uprobe_multi"),
  def("uprobe.multi.s+", "kprobe", "trace_uprobe_multi", sleepable),
  def("uretprobe.multi.s+", "kprobe", "trace_uprobe_multi", sleepable),
  def("ksyscall+", "kprobe"),
  def("kretsyscall+", "kprobe"),
  def("usdt+", "kprobe"),
  def("usdt.s+", "kprobe", undefined, sleepable),
  def("tc/ingress", "sched_cls", "tcx_ingress"),
  def("tc/egress", "sched_cls", "tcx_egress"),
  def("tcx/ingress", "sched_cls", "tcx_ingress"),
  def("tcx/egress", "sched_cls", "tcx_egress"),
  def("tc", "sched_cls"),
  def("classifier", "sched_cls"),
  def("action", "sched_act"),
  def("netkit/primary", "sched_cls", "netkit_primary"),
  def("netkit/peer", "sched_cls", "netkit_peer"),
  def("tracepoint+", "tracepoint"),
  def("tp+", "tracepoint"),
  def("raw_tracepoint+", "raw_tracepoint"),
  def("raw_tp+", "raw_tracepoint"),
  def("raw_tracepoint.w+", "raw_tracepoint_writable"),
  def("raw_tp.w+", "raw_tracepoint_writable"),
  def("tp_btf+", "tracing", "trace_raw_tp"),
  def("fentry+", "tracing", "trace_fentry"),
  def("fmod_ret+", "tracing", "modify_return"),
  def("fexit+", "tracing", "trace_fexit"),
  def("fentry.s+", "tracing", "trace_fentry", sleepable),
  def("fmod_ret.s+", "tracing", "modify_return", sleepable),
  def("fexit.s+", "tracing", "trace_fexit", sleepable),
  def("freplace+", "ext"),
  def("lsm+", "lsm", "lsm_mac"),
  def("lsm.s+", "lsm", "lsm_mac", sleepable),
  def("lsm_cgroup+", "lsm", "lsm_cgroup"),
  def("iter+", "tracing", "trace_iter"),
  def("iter.s+", "tracing", "trace_iter", sleepable),
  def("syscall", "syscall", undefined, sleepable),
  def("xdp.frags/devmap", "xdp", "xdp_devmap", frags),
  def("xdp/devmap", "xdp", "xdp_devmap"),
  def("xdp.frags/cpumap", "xdp", "xdp_cpumap", frags),
  def("xdp/cpumap", "xdp", "xdp_cpumap"),
  def("xdp.frags", "xdp", "xdp", frags),
  def("xdp", "xdp", "xdp"),
  def("perf_event", "perf_event"),
  def("lwt_in", "lwt_in"),
  def("lwt_out", "lwt_out"),
  def("lwt_xmit", "lwt_xmit"),
  def("lwt_seg6local", "lwt_seg6local"),
  def("sockops", "sock_ops", "cgroup_sock_ops"),
  def("sk_skb/stream_parser", "sk_skb", "sk_skb_stream_parser"),
  def("sk_skb/stream_verdict", "sk_skb", "sk_skb_stream_verdict"),
  def("sk_skb", "sk_skb"),
  def("sk_msg", "sk_msg", "sk_msg_verdict"),
  def("lirc_mode2", "lirc_mode2", "lirc_mode2"),
  def("flow_dissector", "flow_dissector", "flow_dissector"),
  def("cgroup_skb/ingress", "cgroup_skb", "cgroup_inet_ingress"),
  def("cgroup_skb/egress", "cgroup_skb", "cgroup_inet_egress"),
  def("cgroup/skb", "cgroup_skb"),
  def("cgroup/sock_create", "cgroup_sock", "cgroup_inet_sock_create"),
  def("cgroup/sock_release", "cgroup_sock", "cgroup_inet_sock_release"),
  def("cgroup/sock", "cgroup_sock", "cgroup_inet_sock_create"),
  def("cgroup/post_bind4", "cgroup_sock", "cgroup_inet4_post_bind"),
  def("cgroup/post_bind6", "cgroup_sock", "cgroup_inet6_post_bind"),
  def("cgroup/bind4", "cgroup_sock_addr", "cgroup_inet4_bind"),
  def("cgroup/bind6", "cgroup_sock_addr", "cgroup_inet6_bind"),
  def("cgroup/connect4", "cgroup_sock_addr", "cgroup_inet4_connect"),
  def("cgroup/connect6", "cgroup_sock_addr", "cgroup_inet6_connect"),
  def("cgroup/connect_unix", "cgroup_sock_addr", "cgroup_unix_connect"),
  def("cgroup/sendmsg4", "cgroup_sock_addr", "cgroup_udp4_sendmsg"),
  def("cgroup/sendmsg6", "cgroup_sock_addr", "cgroup_udp6_sendmsg"),
  def("cgroup/sendmsg_unix", "cgroup_sock_addr", "cgroup_unix_sendmsg"),
  def("cgroup/recvmsg4", "cgroup_sock_addr", "cgroup_udp4_recvmsg"),
  def("cgroup/recvmsg6", "cgroup_sock_addr", "cgroup_udp6_recvmsg"),
  def("cgroup/recvmsg_unix", "cgroup_sock_addr", "cgroup_unix_recvmsg"),
  def("cgroup/getpeername4", "cgroup_sock_addr", "cgroup_inet4_getpeername"),
  def("cgroup/getpeername6", "cgroup_sock_addr", "cgroup_inet6_getpeername"),
  def("cgroup/getpeername_unix", "cgroup_sock_addr", "cgroup_unix_getpeername"),
  def("cgroup/getsockname4", "cgroup_sock_addr", "cgroup_inet4_getsockname"),
  def("cgroup/getsockname6", "cgroup_sock_addr", "cgroup_inet6_getsockname"),
  def("cgroup/getsockname_unix", "cgroup_sock_addr", "cgroup_unix_getsockname"),
  def("cgroup/sysctl", "cgroup_sysctl", "cgroup_sysctl"),
  def("cgroup/getsockopt", "cgroup_sockopt", "cgroup_getsockopt"),
  def("cgroup/setsockopt", "cgroup_sockopt", "cgroup_setsockopt"),
  def("cgroup/dev", "cgroup_device", "cgroup_device"),
  def("struct_ops+", "struct_ops"),
  def("struct_ops.s+", "struct_ops", undefined, sleepable),
  def("sk_lookup", "sk_lookup", "sk_lookup"),
  def("netfilter", "netfilter", "netfilter"),
];

// Before 1.0, libbpf also matched these entries as bare prefixes
// (SEC_SLOPPY_PFX), so objects written for it use names like "xdp_prog" or
// "xdp/filter", and it knew "xdp_devmap/" and "xdp_cpumap/" (now "xdp/devmap"
// and "xdp/cpumap"). libbpf 1.x rejects such names; we still load them,
// marking the match as legacy so a report can say so.
const legacyPrefixes: readonly (readonly [prefix: string, sameAs: string])[] = [
  ["xdp_devmap/", "xdp/devmap"],
  ["xdp_cpumap/", "xdp/cpumap"],
  ...[
    "socket", "sk_reuseport", "classifier", "action", "xdp", "perf_event", "lwt_in", "lwt_out", "lwt_xmit",
    "lwt_seg6local", "sockops", "sk_skb", "sk_msg", "lirc_mode2", "flow_dissector", "cgroup_skb/ingress",
    "cgroup_skb/egress", "cgroup/skb", "cgroup/sock", "cgroup/dev", "sk_lookup",
  ].map((prefix) => [prefix, prefix] as const),
];

export type SectionMatch =
  | { readonly kind: "libbpf"; readonly def: SectionDef }
  | { readonly kind: "legacy-prefix"; readonly def: SectionDef }
  | { readonly kind: "unknown" };

function matches(pattern: string, name: string): boolean {
  if (pattern.endsWith("/")) return name.startsWith(pattern);
  if (pattern.endsWith("+")) {
    const stem = pattern.slice(0, -1);
    return name === stem || name.startsWith(`${stem}/`);
  }
  return name === pattern;
}

// `name` without the leading '?' that marks a program not to be loaded by default.
export function matchSection(name: string): SectionMatch {
  const exact = sectionDefs.find((d) => matches(d.pattern, name));
  if (exact) return { kind: "libbpf", def: exact };
  const legacy = legacyPrefixes.find(([prefix]) => name.startsWith(prefix));
  const legacyDef = legacy && sectionDefs.find((d) => d.pattern === legacy[1]);
  if (legacyDef) return { kind: "legacy-prefix", def: legacyDef };
  return { kind: "unknown" };
}
