// The packet as a thread sees it: one buffer with headroom before the data and
// tailroom after it, and the three XDP boundaries (meta, data, end). Buffer
// offsets are what packet addresses (region 1) carry.
export class PacketState {
  buffer: Uint8Array;
  metaStart = 0;
  dataStart = 0;
  dataEnd = 0;
  ingressIfindex = 0;
  rxQueueIndex = 0;

  constructor(capacityBytes: number) {
    this.buffer = new Uint8Array(capacityBytes);
  }

  // Copies `data` in after `headroomBytes` of zeroed headroom. Bytes past the data are never
  // read before adjust_tail zeroes them, so they are left as they are.
  load(data: Uint8Array, headroomBytes: number, roomAfterBytes: number, ingressIfindex: number, rxQueueIndex: number): void {
    const need = headroomBytes + Math.max(data.length, roomAfterBytes);
    if (need > this.buffer.length) this.buffer = new Uint8Array(need);
    else this.buffer.fill(0, 0, headroomBytes);
    this.buffer.set(data, headroomBytes);
    this.metaStart = headroomBytes;
    this.dataStart = headroomBytes;
    this.dataEnd = headroomBytes + data.length;
    this.ingressIfindex = ingressIfindex;
    this.rxQueueIndex = rxQueueIndex;
  }

  get length(): number {
    return this.dataEnd - this.dataStart;
  }

  // The packet's current data bytes (a copy).
  data(): Uint8Array {
    return this.buffer.slice(this.dataStart, this.dataEnd);
  }
}
