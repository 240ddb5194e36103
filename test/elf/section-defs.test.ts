// Program types from section names: libbpf's matching rules, checked against
// libbpf's own libbpf_prog_type_by_name where the library is present.
import { describe, expect, it } from "vitest";
import { attachTypeId, progTypeId } from "../../src/elf/prog-types.ts";
import { matchSection } from "../../src/elf/section-defs.ts";
import { libbpfTypeByName, oracleUnavailable } from "./libbpf-oracle.ts";

const summary = (name: string) => {
  const m = matchSection(name);
  return m.kind === "unknown" ? ["unknown"] : [m.kind, m.def.progType, m.def.attachType ?? "-", m.def.xdpFrags ?? false, m.def.sleepable ?? false];
};

describe("section name matching", () => {
  it.each([
    ["xdp", ["libbpf", "xdp", "xdp", false, false]],
    ["xdp.frags", ["libbpf", "xdp", "xdp", true, false]],
    ["xdp/devmap", ["libbpf", "xdp", "xdp_devmap", false, false]],
    ["xdp.frags/cpumap", ["libbpf", "xdp", "xdp_cpumap", true, false]],
    ["tc", ["libbpf", "sched_cls", "-", false, false]],
    ["classifier", ["libbpf", "sched_cls", "-", false, false]],
    ["socket", ["libbpf", "socket_filter", "-", false, false]],
    ["kprobe/do_unlinkat", ["libbpf", "kprobe", "-", false, false]],
    ["kprobe", ["libbpf", "kprobe", "-", false, false]], // "kprobe+": exact name or "kprobe/..."
    ["lsm.s/file_open", ["libbpf", "lsm", "lsm_mac", false, true]],
    ["fentry/tcp_v4_rcv", ["libbpf", "tracing", "trace_fentry", false, false]],
    ["xdp/filter", ["legacy-prefix", "xdp", "xdp", false, false]], // libbpf 0.x's sloppy prefix
    ["xdp_prog", ["legacy-prefix", "xdp", "xdp", false, false]],
    ["xdp_devmap/redirect", ["legacy-prefix", "xdp", "xdp_devmap", false, false]],
    ["classifier/ingress", ["legacy-prefix", "sched_cls", "-", false, false]],
    ["kprobex", ["unknown"]], // a '+' pattern needs the exact name or a '/'
    ["license", ["unknown"]],
    ["prog", ["unknown"]],
  ])("%s", (name, expected) => {
    expect(summary(name)).toEqual(expected);
  });
});

const unavailable = oracleUnavailable();
if (unavailable) console.log(`skipping libbpf_prog_type_by_name comparison: ${unavailable}`);

describe.skipIf(unavailable !== undefined)("section name matching agrees with libbpf_prog_type_by_name", () => {
  // Names whose entries are the same in libbpf 1.1 (this machine's library) and the current table.
  const names = [
    "xdp", "xdp.frags", "xdp/devmap", "xdp/cpumap", "xdp.frags/devmap", "tc", "classifier", "action", "socket",
    "kprobe/x", "kretprobe/x", "uprobe/x", "tracepoint/a/b", "tp/a/b", "raw_tp/x", "raw_tracepoint.w/x",
    "fentry/x", "fexit/x", "fmod_ret/x", "lsm/x", "lsm.s/x", "iter/x", "syscall", "perf_event", "lwt_in",
    "lwt_seg6local", "sockops", "sk_skb/stream_parser", "sk_skb", "sk_msg", "flow_dissector",
    "cgroup_skb/ingress", "cgroup/connect4", "cgroup/sysctl", "cgroup/dev", "sk_lookup", "struct_ops/x",
    "freplace/x", "ksyscall/x", "usdt/x", "sk_reuseport/migrate", "kprobe.multi/x",
    "kprobex", "xdpfoo", "xdp/foo", "foo",
  ];
  it.each(names)("%s", (name) => {
    const m = matchSection(name);
    const ours = m.kind === "libbpf" ? { type: progTypeId(m.def.progType), attachType: m.def.attachType ? attachTypeId(m.def.attachType) : 0 } : undefined;
    expect(ours).toEqual(libbpfTypeByName(name));
  });
});
