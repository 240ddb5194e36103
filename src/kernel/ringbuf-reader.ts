// Reading a BPF_MAP_TYPE_RINGBUF from user space, as libbpf's ring_buffer
// does (kernel/bpf/ringbuf.c's mmap layout): the consumer page at offset 0
// (read-write, consumer_pos), then the producer page (producer_pos) and the
// data pages, mapped twice in a row so a record never wraps. Each record is
// an 8-byte header (u32 length with the busy and discard bits, u32 page
// offset) and the sample, rounded up to 8 bytes.
import { KernelError } from "./kernel-error.ts";
import type { Native } from "./native.ts";
import { MAP_SHARED, PROT_READ, PROT_WRITE } from "./perf-buffer.ts";

// include/uapi/linux/bpf.h.
export const BPF_RINGBUF_BUSY_BIT = 1 << 31;
export const BPF_RINGBUF_DISCARD_BIT = 1 << 30;
export const BPF_RINGBUF_HDR_SZ = 8;

export interface RingbufMapping {
  readonly consumer: bigint;
  readonly producer: bigint;
  readonly pageBytes: number;
  // The data area's size (the map's max_entries, a power of two).
  readonly dataBytes: number;
}

export function mapRingbuf(native: Native, mapFd: number, dataBytes: number, label: string): RingbufMapping {
  const pageBytes = native.pageBytes;
  const consumer = native.mmap(pageBytes, PROT_READ | PROT_WRITE, MAP_SHARED, mapFd, 0);
  if (consumer.errno !== 0) throw new KernelError({ command: "mmap", call: `mmap of the consumer page of ${label}`, errno: consumer.errno });
  const producer = native.mmap(pageBytes + 2 * dataBytes, PROT_READ, MAP_SHARED, mapFd, pageBytes);
  if (producer.errno !== 0) {
    native.munmap(consumer.address, pageBytes);
    throw new KernelError({ command: "mmap", call: `mmap of the producer and data pages of ${label}`, errno: producer.errno });
  }
  return { consumer: consumer.address, producer: producer.address, pageBytes, dataBytes };
}

export function unmapRingbuf(native: Native, ring: RingbufMapping): void {
  native.munmap(ring.producer, ring.pageBytes + 2 * ring.dataBytes);
  native.munmap(ring.consumer, ring.pageBytes);
}

// The submitted records from consumer_pos to producer_pos, oldest first (discarded ones skipped), without
// consuming them: the map's content as the host's dump shows it ("records submitted and not yet consumed").
export function pendingRingbufRecords(native: Native, ring: RingbufMapping): Uint8Array[] {
  const consumer = new DataView(native.view(ring.consumer, 8).buffer.slice(0));
  const producerMem = native.view(ring.producer, ring.pageBytes + 2 * ring.dataBytes);
  const producer = new DataView(producerMem.buffer, producerMem.byteOffset, producerMem.byteLength);
  const data = producerMem.subarray(ring.pageBytes);
  const dataView = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const consPos = consumer.getBigUint64(0, true);
  const prodPos = producer.getBigUint64(0, true);
  const mask = BigInt(ring.dataBytes - 1);
  const records: Uint8Array[] = [];
  for (let pos = consPos; pos < prodPos; ) {
    const at = Number(pos & mask);
    const len = dataView.getUint32(at, true);
    // A record still reserved stops the reader (it is not submitted yet).
    if ((len & BPF_RINGBUF_BUSY_BIT) !== 0) break;
    const bytes = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
    if ((len & BPF_RINGBUF_DISCARD_BIT) === 0) records.push(data.slice(at + BPF_RINGBUF_HDR_SZ, at + BPF_RINGBUF_HDR_SZ + bytes));
    pos += BigInt(Math.ceil((bytes + BPF_RINGBUF_HDR_SZ) / 8) * 8);
  }
  return records;
}
