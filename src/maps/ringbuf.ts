// BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c): a byte ring of max_entries
// bytes (a power of two, a multiple of the page size) shared by every CPU.
// Each record takes an 8-byte header plus its data, rounded up to 8 bytes;
// a reservation fails (the helper returns NULL) when flags are non-zero, the
// record is larger than the ring, or it would bring the producer more than
// size - 1 bytes ahead of the consumer. Records become visible to the
// consumer in reservation order once submitted; a discarded record is
// skipped; the consumer stops at the first record still being written.
// bpf_ringbuf_output is reserve + copy + submit, EAGAIN when the ring is
// full and EINVAL for flags other than the wakeup ones. The map has no
// elements: lookup, update, delete and get_next_key all answer ENOTSUPP.
// Record bytes are kept per record rather than in a wrapped byte array;
// positions and free space are computed exactly as the kernel does.

import { MapBase } from "./base.ts";
import { roundUp8 } from "./bytes.ts";
import { Errno } from "./errno.ts";
import { RingbufFlag, RingbufQuery } from "./flags.ts";
import type { Errno as ErrnoValue, MapDef, MapEntry, RingbufOps, RingbufSample, SimMap } from "./types.ts";

// BPF_RINGBUF_HDR_SZ.
export const RINGBUF_HEADER_BYTES = 8;
// RINGBUF_MAX_RECORD_SZ = UINT_MAX / 4.
export const RINGBUF_MAX_RECORD_BYTES = Math.floor(0xffff_ffff / 4);

type RecordState = "busy" | "submitted" | "discarded";

interface RingRecord {
  readonly id: number;
  readonly lengthBytes: number; // header + data, rounded up to 8
  readonly data: Uint8Array;
  state: RecordState;
}

export class RingbufMap extends MapBase implements SimMap, RingbufOps {
  private consumerPos = 0;
  private producerPos = 0;
  private nextId = 1;
  // Records between the consumer and the producer, oldest first.
  private readonly records: RingRecord[];

  constructor(def: MapDef, cpus: number, records: RingRecord[] = []) {
    super(def, cpus);
    this.records = records;
  }

  get ringbuf(): RingbufOps {
    return this;
  }

  private get sizeBytes(): number {
    return this.def.maxEntries;
  }

  reserve(sizeBytes: number, flags: number): RingbufSample | undefined {
    if (flags !== 0 || sizeBytes > RINGBUF_MAX_RECORD_BYTES) return undefined;
    const lengthBytes = roundUp8(sizeBytes + RINGBUF_HEADER_BYTES);
    if (lengthBytes > this.sizeBytes) return undefined;
    const newProducerPos = this.producerPos + lengthBytes;
    if (newProducerPos - this.consumerPos > this.sizeBytes - 1) return undefined;
    const record: RingRecord = { id: this.nextId++, lengthBytes, data: new Uint8Array(sizeBytes), state: "busy" };
    this.records.push(record);
    this.producerPos = newProducerPos;
    return { data: record.data, id: record.id };
  }

  private finish(sample: RingbufSample, state: RecordState): void {
    const record = this.records.find((candidate) => candidate.id === sample.id);
    if (record !== undefined && record.state === "busy") record.state = state;
  }

  submit(sample: RingbufSample, _flags: number): void {
    this.finish(sample, "submitted");
  }

  discard(sample: RingbufSample, _flags: number): void {
    this.finish(sample, "discarded");
  }

  output(data: Uint8Array, flags: number): ErrnoValue {
    if ((flags & ~(RingbufFlag.NO_WAKEUP | RingbufFlag.FORCE_WAKEUP)) !== 0) return -Errno.EINVAL;
    const sample = this.reserve(data.length, 0);
    if (sample === undefined) return -Errno.EAGAIN;
    sample.data.set(data);
    this.submit(sample, flags);
    return 0;
  }

  query(selector: number): bigint {
    switch (selector) {
      case RingbufQuery.AVAIL_DATA:
        return BigInt(this.producerPos - this.consumerPos);
      case RingbufQuery.RING_SIZE:
        return BigInt(this.sizeBytes);
      case RingbufQuery.CONS_POS:
        return BigInt(this.consumerPos);
      case RingbufQuery.PROD_POS:
        return BigInt(this.producerPos);
      default:
        return 0n;
    }
  }

  consume(): Uint8Array[] {
    const delivered: Uint8Array[] = [];
    while (this.records.length > 0 && this.records[0].state !== "busy") {
      const record = this.records.shift() as RingRecord;
      this.consumerPos += record.lengthBytes;
      if (record.state === "submitted") delivered.push(record.data.slice());
    }
    return delivered;
  }

  // Submitted records the consumer has not taken yet, in order (for dumps and comparisons).
  pendingRecords(): Uint8Array[] {
    return this.records.filter((record) => record.state === "submitted").map((record) => record.data.slice());
  }

  lookup(_key: Uint8Array, _cpu: number): Uint8Array | undefined {
    return undefined;
  }

  update(_key: Uint8Array, _value: Uint8Array, _flags: number, _cpu: number): ErrnoValue {
    return -Errno.ENOTSUPP;
  }

  delete(_key: Uint8Array): ErrnoValue {
    return -Errno.ENOTSUPP;
  }

  getNextKey(_key: Uint8Array | undefined): Uint8Array | undefined {
    return undefined;
  }

  sysLookup(_key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    return -Errno.ENOTSUPP;
  }

  sysUpdate(_key: Uint8Array | undefined, _value: Uint8Array, flags: number): ErrnoValue {
    const denied = this.sysUpdateDenied(flags);
    return denied !== 0 ? denied : -Errno.ENOTSUPP;
  }

  sysDelete(_key: Uint8Array | undefined): ErrnoValue {
    return -Errno.ENOTSUPP;
  }

  sysGetNextKey(_key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    return -Errno.ENOTSUPP;
  }

  sysLookupAndDelete(_key: Uint8Array | undefined): Uint8Array | ErrnoValue {
    return -Errno.ENOTSUPP;
  }

  entries(): readonly MapEntry[] {
    return [];
  }

  clone(): RingbufMap {
    const copy = new RingbufMap(
      this.def,
      this.cpus,
      this.records.map((record) => ({ ...record, data: record.data.slice() })),
    );
    copy.consumerPos = this.consumerPos;
    copy.producerPos = this.producerPos;
    copy.nextId = this.nextId;
    return copy;
  }
}
