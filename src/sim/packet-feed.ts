// The driver's side of the packets in flight: reads the traffic, places each
// packet on a port (port-scheduler.ts), hands it to the timing model as an
// iterator, and keeps it until the host has run it. Packets are numbered in
// the order the model gets them, which is the order the host runs them, so the
// packets held are the numbers [oldest, read): a ring, not a map. A packet's
// object and its frame buffer (for a stream that writes into the caller's
// buffers, the generator's) go back to a pool when it is released, so a run
// allocates per packet in flight, not per packet.
import type { Preset, SimPacket } from "../../hw-model/index.ts";
import { FIRST_PORT_IFINDEX } from "./host-reference.ts";
import { PortScheduler, type Schedulable } from "./port-scheduler.ts";
import type { FrameReader, TrafficPacket, TrafficStream } from "./traffic-source.ts";

// One packet as the model and the host see it; reused from packet to packet.
export class FeedPacket implements SimPacket, Schedulable {
  data: Uint8Array;
  // Index in the traffic as read.
  index = 0;
  port = 0;
  ingressIfindex = 0;
  readonly rxQueueIndex = 0;
  // Fractional from the start, so V8 keeps one field layout.
  arrivalNs = 0.5;

  // `buffer`: the frame's storage when the feed writes frames itself (data is a view of it).
  constructor(readonly buffer: Uint8Array) {
    this.data = buffer;
  }
}

const INITIAL_RING_SLOTS = 1_024;

export class PacketFeed implements Iterator<SimPacket> {
  // Packets given to the model so far (the next one's number).
  read = 0;
  private readonly scheduler: PortScheduler<FeedPacket>;
  private readonly reader: FrameReader | undefined;
  private readonly iterator: Iterator<TrafficPacket> | undefined;
  private readonly frameBytes: number;
  private readonly pool: FeedPacket[] = [];
  // Packet n is ring[n & mask] while held, for n in [oldest, read).
  private ring: (FeedPacket | undefined)[] = new Array<FeedPacket | undefined>(INITIAL_RING_SLOTS).fill(undefined);
  private mask = INITIAL_RING_SLOTS - 1;
  private oldest = 0;
  private ended = false;
  private readonly result: { done: boolean; value: SimPacket } = { done: false, value: new FeedPacket(new Uint8Array(0)) };

  constructor(
    traffic: Iterable<TrafficPacket> | TrafficStream,
    preset: Preset,
    ports: number,
    rateGbps: number,
    // Called every `progressEvery` packets read, with the packets read so far.
    private readonly onProgress?: (read: number) => void,
    private readonly progressEvery = 1,
  ) {
    this.scheduler = new PortScheduler<FeedPacket>(preset, ports, rateGbps);
    this.reader = "frames" in traffic && traffic.frames ? traffic.frames() : undefined;
    this.iterator = this.reader === undefined ? traffic[Symbol.iterator]() : undefined;
    this.frameBytes = this.reader?.maxFrameBytes ?? 0;
  }

  next(): IteratorResult<SimPacket> {
    const result = this.result;
    for (;;) {
      const ready = this.scheduler.take(this.ended);
      if (ready !== undefined) {
        const id = this.read++;
        if (id - this.oldest > this.mask) this.growRing(id);
        ready.ingressIfindex = FIRST_PORT_IFINDEX + ready.port;
        this.ring[id & this.mask] = ready;
        if (this.onProgress !== undefined && this.read % this.progressEvery === 0) this.onProgress(this.read);
        result.value = ready;
        return result;
      }
      if (this.ended) return { done: true, value: undefined };
      this.pull();
    }
  }

  // Packet `id` (given to the model, not yet released).
  packet(id: number): FeedPacket {
    return this.ring[id & this.mask]!;
  }

  // Packet `id` is done with: it must be the oldest held.
  release(id: number): void {
    const slot = id & this.mask;
    const packet = this.ring[slot]!;
    this.ring[slot] = undefined;
    this.oldest = id + 1;
    this.pool.push(packet);
  }

  // Reads one packet of the traffic into the scheduler, or notes the end.
  private pull(): void {
    const packet = this.pool.pop() ?? new FeedPacket(new Uint8Array(this.frameBytes));
    if (this.reader !== undefined) {
      const length = this.reader.readInto(packet.buffer);
      if (length < 0) return this.end(packet);
      // A view per length change only: a run of same-size frames reuses it.
      if (packet.data.length !== length) packet.data = packet.buffer.subarray(0, length);
      this.scheduler.offer(packet, this.reader.arrivalNs);
      return;
    }
    const next = this.iterator!.next();
    if (next.done === true) return this.end(packet);
    packet.data = next.value.data;
    this.scheduler.offer(packet, next.value.arrivalNs);
  }

  private end(unused: FeedPacket): void {
    this.pool.push(unused);
    this.ended = true;
  }

  // Room for packets [oldest, id]; the ring holds [oldest, id).
  private growRing(id: number): void {
    const size = this.ring.length * 2;
    const grown = new Array<FeedPacket | undefined>(size).fill(undefined);
    for (let n = this.oldest; n < id; n++) grown[n & (size - 1)] = this.ring[n & this.mask];
    this.ring = grown;
    this.mask = size - 1;
  }
}
