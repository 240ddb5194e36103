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

  // Lowest buffer offset written since the bytes before it were last zero (the data's start, or a
  // head grown by adjust_head): loading the next packet zeroes the headroom from there only.
  private dirtyFrom: number;

  constructor(capacityBytes: number) {
    this.buffer = new Uint8Array(capacityBytes);
    this.dirtyFrom = capacityBytes;
  }

  // Copies `data` in after `headroomBytes` of zeroed headroom. Bytes past the data are never
  // read before adjust_tail zeroes them, so they are left as they are.
  load(data: Uint8Array, headroomBytes: number, roomAfterBytes: number, ingressIfindex: number, rxQueueIndex: number): void {
    const need = headroomBytes + Math.max(data.length, roomAfterBytes);
    if (need > this.buffer.length) this.buffer = new Uint8Array(need);
    else if (this.dirtyFrom < headroomBytes) this.buffer.fill(0, this.dirtyFrom, headroomBytes);
    this.dirtyFrom = headroomBytes;
    this.buffer.set(data, headroomBytes);
    this.metaStart = headroomBytes;
    this.dataStart = headroomBytes;
    this.dataEnd = headroomBytes + data.length;
    this.ingressIfindex = ingressIfindex;
    this.rxQueueIndex = rxQueueIndex;
  }

  // The packet now starts at buffer offset `offset` (adjust_head): bytes from there on may be written.
  noteStart(offset: number): void {
    if (offset < this.dirtyFrom) this.dirtyFrom = offset;
  }

  get length(): number {
    return this.dataEnd - this.dataStart;
  }

  // The packet's current data bytes (a copy).
  data(): Uint8Array {
    return this.buffer.slice(this.dataStart, this.dataEnd);
  }
}
