// Flag values of the bpf() map API, from include/uapi/linux/bpf.h.

// map_flags of BPF_MAP_CREATE.
export const MapFlag = {
  NO_PREALLOC: 1 << 0,
  NO_COMMON_LRU: 1 << 1,
  NUMA_NODE: 1 << 2,
  RDONLY: 1 << 3,
  WRONLY: 1 << 4,
  STACK_BUILD_ID: 1 << 5,
  ZERO_SEED: 1 << 6,
  RDONLY_PROG: 1 << 7,
  WRONLY_PROG: 1 << 8,
  CLONE: 1 << 9,
  MMAPABLE: 1 << 10,
  PRESERVE_ELEMS: 1 << 11,
  INNER_MAP: 1 << 12,
} as const;

// BPF_F_ACCESS_MASK: the user-space and program access restrictions.
export const ACCESS_MASK = MapFlag.RDONLY | MapFlag.WRONLY | MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG;

// bpf_ringbuf_output/submit/discard flags and bpf_ringbuf_query selectors.
export const RingbufFlag = { NO_WAKEUP: 1, FORCE_WAKEUP: 2 } as const;
export const RingbufQuery = { AVAIL_DATA: 0, RING_SIZE: 1, CONS_POS: 2, PROD_POS: 3 } as const;

// bpf_perf_event_output flags: the low 32 bits select the slot, all ones meaning "this CPU".
export const PERF_INDEX_MASK = 0xffff_ffffn;
export const PERF_CURRENT_CPU = 0xffff_ffffn;
// Bits 32..51 carry the number of context (packet) bytes to append; the helper handles them.
export const PERF_CTXLEN_MASK = 0xf_ffffn << 32n;
