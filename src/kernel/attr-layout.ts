// Byte offsets inside union bpf_attr and the structures bpf() reads or
// writes, one table per command, as laid out in include/uapi/linux/bpf.h for
// the LP64 ABIs we support (x86_64, aarch64: __aligned_u64 is 8-aligned).
// test/kernel/attr-layout.test.ts checks every offset against offsetof() of
// the installed <linux/bpf.h> when a C compiler is present.
// `size` is offsetofend() of the last field we fill: the kernel accepts a
// shorter attr (missing fields read as zero) and rejects a longer one only if
// the bytes it does not know are non-zero.

export const MapCreateAttr = {
  map_type: 0,
  key_size: 4,
  value_size: 8,
  max_entries: 12,
  map_flags: 16,
  inner_map_fd: 20,
  numa_node: 24,
  map_name: 28,
  map_ifindex: 44,
  btf_fd: 48,
  btf_key_type_id: 52,
  btf_value_type_id: 56,
  btf_vmlinux_value_type_id: 60,
  map_extra: 64,
  size: 72,
} as const;

// BPF_MAP_LOOKUP_ELEM, _UPDATE_ELEM, _DELETE_ELEM, _GET_NEXT_KEY.
export const MapElemAttr = {
  map_fd: 0,
  key: 8,
  // `value` for lookup/update, `next_key` for get_next_key (a union).
  value: 16,
  next_key: 16,
  flags: 24,
  size: 32,
} as const;

export const ProgLoadAttr = {
  prog_type: 0,
  insn_cnt: 4,
  insns: 8,
  license: 16,
  log_level: 24,
  log_size: 28,
  log_buf: 32,
  kern_version: 40,
  prog_flags: 44,
  prog_name: 48,
  prog_ifindex: 64,
  expected_attach_type: 68,
  prog_btf_fd: 72,
  func_info_rec_size: 76,
  func_info: 80,
  func_info_cnt: 88,
  line_info_rec_size: 92,
  line_info: 96,
  line_info_cnt: 104,
  attach_btf_id: 108,
  attach_prog_fd: 112,
  core_relo_cnt: 116,
  fd_array: 120,
  core_relos: 128,
  core_relo_rec_size: 136,
  // Output since Linux 6.4: the log size the kernel needed, including the NUL.
  log_true_size: 140,
  size: 144,
} as const;

export const TestRunAttr = {
  prog_fd: 0,
  retval: 4,
  data_size_in: 8,
  data_size_out: 12,
  data_in: 16,
  data_out: 24,
  repeat: 32,
  duration: 36,
  ctx_size_in: 40,
  ctx_size_out: 44,
  ctx_in: 48,
  ctx_out: 56,
  flags: 64,
  cpu: 68,
  batch_size: 72,
  size: 76,
} as const;

export const ObjInfoAttr = {
  bpf_fd: 0,
  info_len: 4,
  info: 8,
  size: 16,
} as const;

export const BtfLoadAttr = {
  btf: 0,
  btf_log_buf: 8,
  btf_size: 16,
  btf_log_size: 20,
  btf_log_level: 24,
  // Output since Linux 6.4, as log_true_size for programs.
  btf_log_true_size: 28,
  size: 32,
} as const;

// struct bpf_prog_info, up to verified_insns (Linux 5.16); the kernel copies
// min(info_len, its own size) bytes and reports how many in info_len.
export const ProgInfoLayout = {
  type: 0,
  id: 4,
  tag: 8,
  tagBytes: 8,
  jited_prog_len: 16,
  xlated_prog_len: 20,
  nr_map_ids: 52,
  name: 64,
  btf_id: 128,
  verified_insns: 216,
  size: 232,
} as const;

export const MapInfoLayout = {
  type: 0,
  id: 4,
  key_size: 8,
  value_size: 12,
  max_entries: 16,
  map_flags: 20,
  name: 24,
  btf_id: 64,
  btf_key_type_id: 68,
  btf_value_type_id: 72,
  map_extra: 80,
  size: 88,
} as const;

// struct xdp_md, the context of an XDP program and the ctx_in/ctx_out of BPF_PROG_TEST_RUN.
export const XdpMdLayout = {
  data: 0,
  data_end: 4,
  data_meta: 8,
  ingress_ifindex: 12,
  rx_queue_index: 16,
  egress_ifindex: 20,
  size: 24,
} as const;

// struct bpf_func_info: { insn_off, type_id }, both __u32.
export const FuncInfoLayout = { insn_off: 0, type_id: 4, size: 8 } as const;

// struct bpf_line_info: { insn_off, file_name_off, line_off, line_col }, all __u32.
export const LineInfoLayout = { insn_off: 0, file_name_off: 4, line_off: 8, line_col: 12, size: 16 } as const;

// Every table above, by the C type it mirrors; the layout test walks this.
export const layoutsByCType = {
  "union bpf_attr/map_create": MapCreateAttr,
  "union bpf_attr/map_elem": MapElemAttr,
  "union bpf_attr/prog_load": ProgLoadAttr,
  "union bpf_attr/test": TestRunAttr,
  "union bpf_attr/info": ObjInfoAttr,
  "union bpf_attr/btf_load": BtfLoadAttr,
  "struct bpf_prog_info": ProgInfoLayout,
  "struct bpf_map_info": MapInfoLayout,
  "struct xdp_md": XdpMdLayout,
  "struct bpf_func_info": FuncInfoLayout,
  "struct bpf_line_info": LineInfoLayout,
} as const;
