// The kfuncs this verifier checks, with the flags the kernel registers them
// with (BTF_ID_FLAGS in the source file named; the flags are not in
// /sys/kernel/btf, so they live here, once). A kfunc missing from this table
// gets no verdict ("not supported by our verifier"), never a guessed one.
// Prototypes come from the kernel BTF (src/elf/kernel-btf.ts), not from here.

// include/linux/btf.h KF_* flags.
export type KfuncFlag = "KF_ACQUIRE" | "KF_RELEASE" | "KF_RET_NULL" | "KF_TRUSTED_ARGS";

export interface KfuncEntry {
  readonly name: string;
  readonly flags: readonly KfuncFlag[];
  readonly source: string; // where the kernel registers it for XDP
  // XDP RX metadata kfuncs: only a device-bound program may call them (kernel/bpf/offload.c bpf_dev_bound_kfunc_check).
  readonly deviceBound?: boolean;
}

const NF_CONNTRACK = "net/netfilter/nf_conntrack_bpf.c nf_ct_kfunc_set";
const XDP_METADATA = "net/core/xdp.c xdp_metadata_kfunc_ids";

const entries: readonly KfuncEntry[] = [
  { name: "bpf_xdp_ct_alloc", flags: ["KF_ACQUIRE", "KF_RET_NULL"], source: NF_CONNTRACK },
  { name: "bpf_xdp_ct_lookup", flags: ["KF_ACQUIRE", "KF_RET_NULL"], source: NF_CONNTRACK },
  { name: "bpf_ct_insert_entry", flags: ["KF_ACQUIRE", "KF_RET_NULL", "KF_RELEASE"], source: NF_CONNTRACK },
  { name: "bpf_ct_release", flags: ["KF_RELEASE"], source: NF_CONNTRACK },
  { name: "bpf_ct_set_timeout", flags: ["KF_TRUSTED_ARGS"], source: NF_CONNTRACK },
  { name: "bpf_ct_change_timeout", flags: ["KF_TRUSTED_ARGS"], source: NF_CONNTRACK },
  { name: "bpf_ct_set_status", flags: ["KF_TRUSTED_ARGS"], source: NF_CONNTRACK },
  { name: "bpf_ct_change_status", flags: ["KF_TRUSTED_ARGS"], source: NF_CONNTRACK },
  { name: "bpf_xdp_metadata_rx_timestamp", flags: [], source: XDP_METADATA, deviceBound: true },
  { name: "bpf_xdp_metadata_rx_hash", flags: [], source: XDP_METADATA, deviceBound: true },
  { name: "bpf_xdp_metadata_rx_vlan_tag", flags: [], source: XDP_METADATA, deviceBound: true },
];

const byName = new Map(entries.map((e) => [e.name, e]));

export const kfuncEntry = (name: string): KfuncEntry | undefined => byName.get(name);
export const KNOWN_KFUNCS: readonly KfuncEntry[] = entries;
export const hasFlag = (entry: KfuncEntry, flag: KfuncFlag): boolean => entry.flags.includes(flag);
