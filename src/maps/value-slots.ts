// The value storage of one hash-map element: value_size bytes, or for the
// per-CPU kinds one 8-byte-rounded slot per CPU in a single buffer. Program
// lookups get a live view of value_size bytes; the syscall side reads and
// writes whole rounded slots (kernel/bpf/hashtab.c pcpu_copy_value,
// pcpu_init_value, and the per-CPU copy in bpf_percpu_hash_copy).

import { roundUp8 } from "./bytes.ts";

export class ValueSlots {
  readonly bytes: Uint8Array;
  private readonly valueSize: number;
  private readonly slotBytes: number;
  private readonly cpus: number;
  private readonly perCpu: boolean;

  constructor(valueSize: number, cpus: number, perCpu: boolean, bytes?: Uint8Array) {
    this.valueSize = valueSize;
    this.perCpu = perCpu;
    this.cpus = perCpu ? cpus : 1;
    this.slotBytes = perCpu ? roundUp8(valueSize) : valueSize;
    this.bytes = bytes ?? new Uint8Array(this.slotBytes * this.cpus);
  }

  // The same view object for a CPU on every call (made on first use: a typed-array view costs an allocation).
  private readonly views: (Uint8Array | undefined)[] = [];

  view(cpu: number): Uint8Array {
    const slot = this.perCpu ? cpu : 0;
    const known = this.views[slot];
    if (known !== undefined) return known;
    const offset = slot * this.slotBytes;
    const made = this.bytes.subarray(offset, offset + this.valueSize);
    if (slot < this.cpus) this.views[slot] = made;
    return made;
  }

  // A program's write: value_size bytes of this CPU's slot.
  writeOne(cpu: number, value: Uint8Array): void {
    this.view(cpu).set(value.subarray(0, this.valueSize));
  }

  // A syscall write: every CPU's rounded slot, padding included.
  writeAll(value: Uint8Array): void {
    this.bytes.set(value.subarray(0, this.bytes.length));
  }

  // What a syscall read returns.
  readAll(): Uint8Array {
    return this.bytes.slice();
  }

  perCpuCopies(): Uint8Array[] {
    return Array.from({ length: this.cpus }, (_, cpu) => this.view(cpu).slice());
  }

  clone(): ValueSlots {
    return new ValueSlots(this.valueSize, this.cpus, this.perCpu, this.bytes.slice());
  }
}
