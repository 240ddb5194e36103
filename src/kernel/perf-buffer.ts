// Reading what bpf_perf_event_output sends: one PERF_COUNT_SW_BPF_OUTPUT
// event per CPU (perf_event_open with pid -1), its ring mmapped, its fd
// stored in the BPF_MAP_TYPE_PERF_EVENT_ARRAY at that CPU's index, as
// libbpf's perf_buffer does. The kernel writes each output as a
// PERF_RECORD_SAMPLE to the ring of the CPU the program runs on; a reader
// walks the ring from data_tail to data_head. Layouts and numbers are
// include/uapi/linux/perf_event.h's.
import { KernelError } from "./kernel-error.ts";
import type { Native } from "./native.ts";
import { NativeArena } from "./native.ts";

// enum perf_type_id / perf_sw_ids.
export const PERF_TYPE_SOFTWARE = 1;
export const PERF_COUNT_SW_BPF_OUTPUT = 10;
// enum perf_event_sample_format.
export const PERF_SAMPLE_TIME = 1 << 2;
export const PERF_SAMPLE_RAW = 1 << 10;
// perf_event_open flags.
export const PERF_FLAG_FD_CLOEXEC = 1 << 3;
// enum perf_event_type.
export const PERF_RECORD_LOST = 2;
export const PERF_RECORD_SAMPLE = 9;
// PERF_ATTR_SIZE_VER0: the fields used here all lie in the first version of the struct.
export const PERF_ATTR_SIZE_VER0 = 64;
// struct perf_event_attr offsets (checked against offsetof() by test/kernel/event-layout.test.ts).
export const PerfEventAttrLayout = { type: 0, size: 4, config: 8, sample_period: 16, sample_type: 24, wakeup_events: 48 } as const;
// struct perf_event_mmap_page: the ring's positions follow a 1024-byte header; data_offset/data_size since Linux 4.1.
export const PerfMmapPageLayout = { data_head: 1024, data_tail: 1032, data_offset: 1040, data_size: 1048 } as const;
const ATTR_TYPE = PerfEventAttrLayout.type;
const ATTR_SIZE = PerfEventAttrLayout.size;
const ATTR_CONFIG = PerfEventAttrLayout.config;
const ATTR_SAMPLE_PERIOD = PerfEventAttrLayout.sample_period;
const ATTR_SAMPLE_TYPE = PerfEventAttrLayout.sample_type;
const ATTR_WAKEUP_EVENTS = PerfEventAttrLayout.wakeup_events;
const PAGE_DATA_HEAD = PerfMmapPageLayout.data_head;
const PAGE_DATA_TAIL = PerfMmapPageLayout.data_tail;
const PAGE_DATA_OFFSET = PerfMmapPageLayout.data_offset;
const PAGE_DATA_SIZE = PerfMmapPageLayout.data_size;
// struct perf_event_header: u32 type, u16 misc, u16 size.
const HEADER_BYTES = 8;
// mmap(2) / mman.h.
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;

// Data pages per CPU's ring (a power of two, as perf requires).
export const DEFAULT_PERF_PAGES = 8;

export interface PerfRing {
  readonly cpu: number;
  readonly fd: number;
  readonly address: bigint;
  readonly mappedBytes: number;
}

// One sample: the CPU whose ring held it, the kernel's timestamp, and the raw bytes as the kernel
// reports them (the program's bytes padded so the record stays 8-byte aligned).
export type PerfRecord = { readonly kind: "sample"; readonly cpu: number; readonly timeNs: bigint; readonly data: Uint8Array } | { readonly kind: "lost"; readonly cpu: number; readonly count: bigint };

// The raw size the kernel reports for `bytes` of output: round_up(bytes + 4, 8) - 4 (perf_prepare_sample).
export function paddedRawBytes(bytes: number): number {
  return Math.ceil((bytes + 4) / 8) * 8 - 4;
}

export function openPerfRing(native: Native, cpu: number, dataPages: number, label: string): PerfRing {
  const arena = new NativeArena(native);
  let fd = -1;
  try {
    const attr = arena.alloc(PERF_ATTR_SIZE_VER0);
    attr.view.setUint32(ATTR_TYPE, PERF_TYPE_SOFTWARE, true);
    attr.view.setUint32(ATTR_SIZE, PERF_ATTR_SIZE_VER0, true);
    attr.view.setBigUint64(ATTR_CONFIG, BigInt(PERF_COUNT_SW_BPF_OUTPUT), true);
    attr.view.setBigUint64(ATTR_SAMPLE_PERIOD, 1n, true);
    attr.view.setBigUint64(ATTR_SAMPLE_TYPE, BigInt(PERF_SAMPLE_TIME | PERF_SAMPLE_RAW), true);
    attr.view.setUint32(ATTR_WAKEUP_EVENTS, 1, true);
    // pid -1, cpu: every task on that CPU; enabled from the start (attr.disabled is 0).
    const opened = native.perfEventOpen(attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
    if (opened.result < 0) throw new KernelError({ command: "perf_event_open", call: `perf_event_open(PERF_COUNT_SW_BPF_OUTPUT, cpu ${cpu}) for ${label}`, errno: opened.errno });
    fd = opened.result;
    const mappedBytes = (1 + dataPages) * native.pageBytes;
    const mapped = native.mmap(mappedBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mapped.errno !== 0) throw new KernelError({ command: "mmap", call: `mmap of the perf ring of cpu ${cpu} for ${label}`, errno: mapped.errno });
    return { cpu, fd, address: mapped.address, mappedBytes };
  } catch (error) {
    if (fd >= 0) native.close(fd);
    throw error;
  } finally {
    arena.freeAll();
  }
}

export function closePerfRing(native: Native, ring: PerfRing): void {
  native.munmap(ring.address, ring.mappedBytes);
  native.close(ring.fd);
}

// The records written since the last read, oldest first; the ring's tail moves past them.
export function readPerfRing(native: Native, ring: PerfRing): PerfRecord[] {
  const mem = native.view(ring.address, ring.mappedBytes);
  const page = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  const head = page.getBigUint64(PAGE_DATA_HEAD, true);
  const tail = page.getBigUint64(PAGE_DATA_TAIL, true);
  const dataOffset = Number(page.getBigUint64(PAGE_DATA_OFFSET, true)) || native.pageBytes;
  const dataBytes = Number(page.getBigUint64(PAGE_DATA_SIZE, true)) || ring.mappedBytes - native.pageBytes;
  const data = mem.subarray(dataOffset, dataOffset + dataBytes);
  // Bytes at ring position `pos` (mod the data size), copied out across the wrap.
  const bytesAt = (pos: bigint, length: number): Uint8Array => {
    const out = new Uint8Array(length);
    const start = Number(pos % BigInt(dataBytes));
    const first = Math.min(length, dataBytes - start);
    out.set(data.subarray(start, start + first));
    if (first < length) out.set(data.subarray(0, length - first), first);
    return out;
  };
  const records: PerfRecord[] = [];
  let pos = tail;
  while (pos < head) {
    const header = new DataView(bytesAt(pos, HEADER_BYTES).buffer);
    const type = header.getUint32(0, true);
    const size = header.getUint16(6, true);
    if (size < HEADER_BYTES) break;
    const body = new DataView(bytesAt(pos + BigInt(HEADER_BYTES), size - HEADER_BYTES).buffer);
    if (type === PERF_RECORD_SAMPLE) {
      // PERF_SAMPLE_TIME then PERF_SAMPLE_RAW: u64 time, u32 size, the bytes.
      const timeNs = body.getBigUint64(0, true);
      const rawBytes = body.getUint32(8, true);
      records.push({ kind: "sample", cpu: ring.cpu, timeNs, data: new Uint8Array(body.buffer, 12, Math.min(rawBytes, body.byteLength - 12)).slice() });
    } else if (type === PERF_RECORD_LOST) {
      // u64 id, u64 lost.
      records.push({ kind: "lost", cpu: ring.cpu, count: body.getBigUint64(8, true) });
    }
    pos += BigInt(size);
  }
  page.setBigUint64(PAGE_DATA_TAIL, head, true);
  return records;
}
