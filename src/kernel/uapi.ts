// Numbers of the Linux bpf() ABI that the kernel binding speaks, as in
// include/uapi/linux/bpf.h (enum bpf_cmd, enum bpf_prog_type, enum
// bpf_attach_type, the BPF_F_* flag enums, BPF_OBJ_NAME_LEN). Map type ids and
// update flags have their home in src/maps/types.ts; the byte offsets of
// union bpf_attr live in attr-layout.ts.

export const BpfCmd = {
  MAP_CREATE: 0,
  MAP_LOOKUP_ELEM: 1,
  MAP_UPDATE_ELEM: 2,
  MAP_DELETE_ELEM: 3,
  MAP_GET_NEXT_KEY: 4,
  PROG_LOAD: 5,
  PROG_TEST_RUN: 10,
  OBJ_GET_INFO_BY_FD: 15,
  BTF_LOAD: 18,
  MAP_FREEZE: 22,
} as const;
export type BpfCmdId = (typeof BpfCmd)[keyof typeof BpfCmd];

export const ProgType = {
  UNSPEC: 0,
  SOCKET_FILTER: 1,
  KPROBE: 2,
  SCHED_CLS: 3,
  SCHED_ACT: 4,
  TRACEPOINT: 5,
  XDP: 6,
} as const;

// The attach types a program of type XDP can be loaded with.
export const XdpAttachType = {
  // 0 is what clang/libbpf use for plain SEC("xdp") before BPF_XDP existed; the kernel accepts it.
  UNSPEC: 0,
  XDP_DEVMAP: 35,
  XDP_CPUMAP: 36,
  XDP: 37,
} as const;

// BPF_MAP_CREATE map_flags: one home, src/maps/flags.ts.
export { MapFlag } from "../maps/flags.ts";

// BPF_PROG_LOAD prog_flags.
export const ProgFlag = {
  STRICT_ALIGNMENT: 1 << 0,
  ANY_ALIGNMENT: 1 << 1,
  TEST_RND_HI32: 1 << 2,
  TEST_STATE_FREQ: 1 << 3,
  SLEEPABLE: 1 << 4,
  XDP_HAS_FRAGS: 1 << 5,
} as const;

// BPF_PROG_TEST_RUN flags (XDP accepts only LIVE_FRAMES; net/bpf/test_run.c).
export const TestRunFlag = {
  RUN_ON_CPU: 1 << 0,
  XDP_LIVE_FRAMES: 1 << 1,
} as const;

// Verifier log levels (BPF_LOG_LEVEL1, BPF_LOG_LEVEL2) and the stats bit (BPF_LOG_STATS).
export const LogLevel = { OFF: 0, BASIC: 1, VERBOSE: 2, STATS: 4 } as const;
export type VerifierLogLevel = 0 | 1 | 2;

// The largest verifier or BTF log buffer: the kernel refuses log_size >= UINT_MAX >> 2
// (kernel/bpf/log.c, bpf_verifier_log_attr_valid).
export const MAX_LOG_BYTES = (0xffffffff >>> 2) - 1;

// Object names (map_name, prog_name) are char[16] including the terminating NUL.
export const BPF_OBJ_NAME_LEN = 16;

// Map types whose value the kernel stores once per possible CPU; a syscall
// lookup or update moves round_up(value_size, 8) bytes for each of them
// (kernel/bpf/syscall.c, bpf_map_value_size).
export const PER_CPU_VALUE_ALIGN = 8;

// BPF_PROG_LOAD calls libbpf makes while the kernel answers EAGAIN (tools/lib/bpf/libbpf_internal.h).
export const PROG_LOAD_ATTEMPTS = 5;
