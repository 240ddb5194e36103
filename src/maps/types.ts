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
  // BPF_MAP_CREATE's map_extra (the bloom filter's hash-function count in its low 4 bits); absent is 0.
  readonly mapExtra?: number;
  // Set for .data/.rodata/.bss maps made from an object's global variables.
  readonly initialValue?: Uint8Array;
  readonly frozen?: boolean;
  // Byte offset of the `struct bpf_spin_lock` in the value, from the value's BTF type (the kernel's
  // btf_record spin_lock_off); absent when the value has none or the map has no BTF value type.
  readonly spinLockOffsetBytes?: number;
}

// Result of an operation that can fail the way the kernel fails it: 0 or a negative errno.
export type Errno = number;

// Told of every key that enters or leaves a hash map's table, whoever changes it (a program, the
// syscall side, an LRU eviction): the NIC firmware's per-bucket counts follow the map this way.
export interface KeyWatcher {
  inserted(key: Uint8Array): void;
  removed(key: Uint8Array): void;
}

export interface BpfMap {
  readonly def: MapDef;
  // A live view into the value's storage (the program writes through it), or undefined on a miss.
  // `cpu` selects the slot of per-CPU maps and is ignored by the others.
  lookup(key: Uint8Array, cpu: number): Uint8Array | undefined;
  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): Errno;
  delete(key: Uint8Array): Errno;
  // The value's live view as lookup gives it, without what a program's lookup also does (an LRU
  // element's reference mark): what bpf_for_each_map_elem's walk hands its callback. Maps whose
  // lookup does nothing more need not have it.
  readValue?(key: Uint8Array, cpu: number): Uint8Array | undefined;
  // The key after `key` in iteration order (the first when `key` is undefined or absent), or undefined at the end.
  getNextKey(key: Uint8Array | undefined): Uint8Array | undefined;

  // Everything below is optional so that hand-made doubles of BpfMap stay valid;
  // every map made by createMap (src/maps/create.ts) has all of it (see SimMap).

  // Number of simulated possible CPUs (the per-CPU slot count).
  readonly cpus?: number;
  // The bpf() syscall side (BPF_MAP_LOOKUP_ELEM, UPDATE, DELETE, GET_NEXT_KEY,
  // LOOKUP_AND_DELETE). Values are copies; per-CPU maps take and give every
  // CPU's value, each rounded up to 8 bytes. `cpu` is the CPU the calling
  // process runs on (it matters to LRU maps).
  sysLookup?(key: Uint8Array | undefined): Uint8Array | Errno;
  sysUpdate?(key: Uint8Array | undefined, value: Uint8Array, flags: number, cpu?: number): Errno;
  sysDelete?(key: Uint8Array | undefined, cpu?: number): Errno;
  sysGetNextKey?(key: Uint8Array | undefined): Uint8Array | Errno;
  sysLookupAndDelete?(key: Uint8Array | undefined, cpu?: number): Uint8Array | Errno;
  // bpf_map_push_elem / pop / peek (queue, stack); pop and peek return a copy.
  push?(value: Uint8Array, flags: number): Errno;
  pop?(): Uint8Array | Errno;
  peek?(): Uint8Array | Errno;
  // bpf_map_peek_elem on a bloom filter: 0 when `value` may be in the set, -ENOENT when it is not.
  // The syscall's BPF_MAP_LOOKUP_ELEM asks the same (its value buffer is the input).
  contains?(value: Uint8Array): Errno;
  // What bpf_redirect_map finds at `key` (devmap, devmap_hash, cpumap, xskmap), undefined when empty.
  redirectTarget?(key: number): RedirectTarget | undefined;
  // The program index bpf_tail_call jumps to, undefined when the slot is empty (prog_array).
  tailCallTarget?(index: number): number | undefined;
  // The inner map a map-in-map lookup yields, undefined on a miss.
  innerMap?(key: Uint8Array): BpfMap | undefined;
  // Hash-table kinds: the one watcher of keys entering and leaving (setting it replaces the last;
  // it is told of changes from then on). Copies of the map do not keep it.
  keyWatcher?: KeyWatcher | undefined;
  // bpf_ringbuf_* (ringbuf).
  readonly ringbuf?: RingbufOps;
  // bpf_perf_event_output (perf_event_array): flags' low 32 bits select the slot.
  perfEventOutput?(flags: bigint, data: Uint8Array, cpu: number): Errno;
  // Every present entry in a canonical order (arrays by index, other kinds by key bytes);
  // values are copies (per-CPU: one per CPU, value_size bytes each).
  entries?(): readonly MapEntry[];
  // An independent copy of the whole map state (inner maps of maps-of-maps stay shared; see cloneMaps).
  clone?(): BpfMap;
}

// One entry of a map's contents. `value` holds value_size bytes (for prog_array,
// devmap, cpumap, xskmap, perf_event_array: the u32/struct the syscall side
// stores), `perCpu` one value per CPU for per-CPU maps, `inner` the referenced
// map for maps of maps (whose `value` is then absent).
export interface MapEntry {
  readonly key: Uint8Array;
  readonly value?: Uint8Array;
  readonly perCpu?: readonly Uint8Array[];
  readonly inner?: BpfMap;
}

// Where bpf_redirect_map sends a packet.
export type RedirectTarget =
  | { readonly kind: "device"; readonly ifindex: number; readonly programFd: number }
  | { readonly kind: "cpu"; readonly cpu: number; readonly queueSize: number; readonly programFd: number }
  | { readonly kind: "xsk"; readonly queueIndex: number; readonly socket: number };

// A record reserved by bpf_ringbuf_reserve: `data` is a live view the program fills.
export interface RingbufSample {
  readonly data: Uint8Array;
  readonly id: number;
}

export interface RingbufOps {
  // undefined where the helper returns NULL (bad flags, too big, ring full).
  reserve(sizeBytes: number, flags: number): RingbufSample | undefined;
  submit(sample: RingbufSample, flags: number): void;
  discard(sample: RingbufSample, flags: number): void;
  output(data: Uint8Array, flags: number): Errno;
  query(selector: number): bigint;
  // The consumer side (user space): submitted records in order, advancing the consumer position.
  consume(): Uint8Array[];
}

// What every map made by createMap provides.
export interface SimMap extends BpfMap {
  readonly cpus: number;
  sysLookup(key: Uint8Array | undefined): Uint8Array | Errno;
  sysUpdate(key: Uint8Array | undefined, value: Uint8Array, flags: number, cpu?: number): Errno;
  sysDelete(key: Uint8Array | undefined, cpu?: number): Errno;
  sysGetNextKey(key: Uint8Array | undefined): Uint8Array | Errno;
  sysLookupAndDelete(key: Uint8Array | undefined, cpu?: number): Uint8Array | Errno;
  entries(): readonly MapEntry[];
  clone(): SimMap;
}

// The kernel's lowercase name of a map type ("hash", "lru_percpu_hash"), as bpftool prints it.
export function mapTypeName(type: number): string {
  const entry = Object.entries(MapType).find(([, id]) => id === type);
  return entry === undefined ? `type ${type}` : entry[0].toLowerCase();
}

// The map type id for a kernel name, undefined for an unknown name.
export function mapTypeByName(name: string): MapTypeId | undefined {
  const entry = Object.entries(MapType).find(([key]) => key.toLowerCase() === name);
  return entry === undefined ? undefined : (entry[1] as MapTypeId);
}
