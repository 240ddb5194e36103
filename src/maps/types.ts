// What a map is, independent of its kind: its definition (as the ELF object or
// the user declares it) and the operations every map kind answers. The
// interpreter, the helpers and the NIC model all go through this interface;
// each kind's semantics live in its own module beside this file.

// Map type ids as in the kernel's enum bpf_map_type (include/uapi/linux/bpf.h).
export const MapType = {
  UNSPEC: 0,
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  STACK_TRACE: 7,
  CGROUP_ARRAY: 8,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  LPM_TRIE: 11,
  ARRAY_OF_MAPS: 12,
  HASH_OF_MAPS: 13,
  DEVMAP: 14,
  SOCKMAP: 15,
  CPUMAP: 16,
  XSKMAP: 17,
  SOCKHASH: 18,
  CGROUP_STORAGE: 19,
  REUSEPORT_SOCKARRAY: 20,
  PERCPU_CGROUP_STORAGE: 21,
  QUEUE: 22,
  STACK: 23,
  SK_STORAGE: 24,
  DEVMAP_HASH: 25,
  STRUCT_OPS: 26,
  RINGBUF: 27,
  INODE_STORAGE: 28,
  TASK_STORAGE: 29,
  BLOOM_FILTER: 30,
} as const;
export type MapTypeId = (typeof MapType)[keyof typeof MapType];

// Update flags of bpf_map_update_elem.
export const UpdateFlag = { ANY: 0, NOEXIST: 1, EXIST: 2, F_LOCK: 4 } as const;

export interface MapDef {
  readonly name: string;
  readonly type: number; // a MapType id; unknown ids are kept so they can be reported
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  // For array_of_maps / hash_of_maps: the template of the inner maps.
  readonly inner?: MapDef;
  // LIBBPF_PIN_BY_NAME = 1, none = 0.
  readonly pinning?: number;
  // Set for .data/.rodata/.bss maps made from an object's global variables.
  readonly initialValue?: Uint8Array;
  readonly frozen?: boolean;
}

// Result of an operation that can fail the way the kernel fails it: 0 or a negative errno.
export type Errno = number;

export interface BpfMap {
  readonly def: MapDef;
  // A live view into the value's storage (the program writes through it), or undefined on a miss.
  // `cpu` selects the slot of per-CPU maps and is ignored by the others.
  lookup(key: Uint8Array, cpu: number): Uint8Array | undefined;
  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): Errno;
  delete(key: Uint8Array): Errno;
  // The key after `key` in iteration order (the first when `key` is undefined or absent), or undefined at the end.
  getNextKey(key: Uint8Array | undefined): Uint8Array | undefined;
}
