// The packets on the card, one slot each, as parallel arrays indexed by slot:
// what the timing model keeps per packet between its events, without an object
// per packet. A finished packet's slot is reused (last freed, first reused), and
// its work trace buffer with it.
import { TraceWriter } from "../exec/trace.ts";
import type { PacketResult } from "../exec/executor.ts";
import type { StageVisit } from "./simulator.ts";

// Initial words of a packet's trace buffer (it grows when a packet needs more).
const TRACE_WORDS = 64;

export const FATE_WIRE = 0;
export const FATE_HOST = 1;
export const FATE_DROPPED = 2;
export const FATE_LOST = 3;

export class InFlight {
  // Slots handed out so far (the highest slot + 1).
  used = 0;
  id = new Float64Array(64);
  port = new Int32Array(64);
  bytes = new Int32Array(64);
  // Times in cycles; start is NaN until a thread first takes the packet.
  arrival = new Float64Array(64);
  start = new Float64Array(64);
  stageStart = new Float64Array(64);
  // Island of the core that first ran the packet (where its CTM part lives), -1 before.
  island = new Int32Array(64);
  // Read position in the work trace.
  pos = new Int32Array(64);
  hostCostNs = new Float64Array(64);
  action = new Int32Array(64);
  fate = new Int8Array(64);
  // Bytes of the ring entry the next ring get reads.
  entryBytes = new Int32Array(64);
  // Length of the packet's data when it leaves the NIC program (or the host stage).
  dataBytes = new Int32Array(64);
  live = new Uint8Array(64);
  readonly trace: TraceWriter[] = [];
  // The trace's records (its buffer when the packet was admitted; it does not change after).
  readonly traceBuf: Int32Array[] = [];
  // Kept only when records are wanted (or the host stage needs them).
  readonly result: (PacketResult | undefined)[] = [];
  readonly stages: StageVisit[][] = [];
  readonly lostReason: (string | undefined)[] = [];
  // The host stage's own report on the packet's host part (HostStage.run's `report`).
  readonly hostReport: unknown[] = [];
  private readonly free: number[] = [];

  alloc(): number {
    const slot = this.free.length ? this.free.pop()! : this.used++;
    if (slot >= this.live.length) this.grow();
    this.live[slot] = 1;
    if (this.trace[slot] === undefined) this.trace[slot] = new TraceWriter(TRACE_WORDS);
    return slot;
  }

  release(slot: number): void {
    this.live[slot] = 0;
    this.result[slot] = undefined;
    this.lostReason[slot] = undefined;
    this.hostReport[slot] = undefined;
    this.free.push(slot);
  }

  private grow(): void {
    const n = this.live.length * 2;
    this.id = grown(this.id, new Float64Array(n));
    this.port = grown(this.port, new Int32Array(n));
    this.bytes = grown(this.bytes, new Int32Array(n));
    this.arrival = grown(this.arrival, new Float64Array(n));
    this.start = grown(this.start, new Float64Array(n));
    this.stageStart = grown(this.stageStart, new Float64Array(n));
    this.island = grown(this.island, new Int32Array(n));
    this.pos = grown(this.pos, new Int32Array(n));
    this.hostCostNs = grown(this.hostCostNs, new Float64Array(n));
    this.action = grown(this.action, new Int32Array(n));
    this.fate = grown(this.fate, new Int8Array(n));
    this.entryBytes = grown(this.entryBytes, new Int32Array(n));
    this.dataBytes = grown(this.dataBytes, new Int32Array(n));
    this.live = grown(this.live, new Uint8Array(n));
  }
}

function grown<T extends Float64Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Int8Array<ArrayBuffer> | Uint8Array<ArrayBuffer>>(from: T, to: T): T {
  (to as Float64Array).set(from as Float64Array);
  return to;
}
