// Puts a packet stream on the card's ingress ports. Replayed at the line rate,
// each packet takes the port that falls free first and arrives when its last
// bit is in (start + its wire time at the port rate), so every port is kept
// busy. hw-model's streaming simulate() admits packets in the order given, so
// they are handed over in order of arrival: a short frame that finishes
// before a long one started earlier on the other port goes first. Packets
// start in order, and no frame is shorter on the wire than the minimum, so a
// packet can be released once every port's next start is later than its
// arrival minus that minimum: only a few packets per port are held.
// A stream with its own timestamps keeps them and alternates over the ports.
import { wireNs, type Preset } from "../../hw-model/index.ts";
import type { TrafficPacket } from "./traffic-source.ts";

export interface ScheduledPacket {
  readonly data: Uint8Array;
  // Index in the traffic as read.
  readonly index: number;
  readonly port: number;
  // When the last bit is in, from the first packet's start (undefined: let the model decide).
  readonly arrivalNs: number;
}

// What the scheduler fills in on a packet it is offered (the driver's packets are objects it reuses).
export interface Schedulable {
  readonly data: Uint8Array;
  index: number;
  port: number;
  arrivalNs: number;
}

export function* scheduleOnPorts(traffic: Iterable<TrafficPacket>, preset: Preset, ports: number, rateGbps: number): Generator<ScheduledPacket> {
  const scheduler = new PortScheduler<Schedulable>(preset, ports, rateGbps);
  for (const packet of traffic) {
    scheduler.offer({ data: packet.data, index: 0, port: 0, arrivalNs: 0 }, packet.arrivalNs);
    for (let ready = scheduler.take(false); ready !== undefined; ready = scheduler.take(false)) yield ready;
  }
  for (let ready = scheduler.take(true); ready !== undefined; ready = scheduler.take(true)) yield ready;
}

// The scheduler one packet at a time: offer() each packet of the traffic in order, then take() the packets
// it lets go, in the order they go to the card (with `ended` once the traffic has no more).
export class PortScheduler<P extends Schedulable> {
  private readonly portFreeNs: Float64Array;
  private readonly minWireNs: number;
  // Packets placed on a port and not yet let go, in arrival order (a small sorted array: a few per port).
  private readonly pending: P[] = [];
  // Packets let go and not yet taken.
  private readonly released: P[] = [];
  private index = 0;
  private firstTimestampNs: number | undefined;

  constructor(
    private readonly preset: Preset,
    private readonly ports: number,
    private readonly rateGbps: number,
  ) {
    this.portFreeNs = new Float64Array(ports);
    this.minWireNs = wireNs(preset, 0, rateGbps);
  }

  // `timestampNs`: the packet's own arrival, or undefined to replay it at the line rate.
  offer(packet: P, timestampNs: number | undefined): void {
    const { ports, portFreeNs, pending } = this;
    const index = this.index++;
    packet.index = index;
    if (timestampNs !== undefined) {
      this.firstTimestampNs ??= timestampNs;
      packet.port = index % ports;
      packet.arrivalNs = timestampNs - this.firstTimestampNs;
      this.released.push(packet);
      return;
    }
    let port = 0;
    for (let p = 1; p < ports; p++) if (portFreeNs[p] < portFreeNs[port]) port = p;
    const arrivalNs = portFreeNs[port] + wireNs(this.preset, packet.data.length, this.rateGbps);
    portFreeNs[port] = arrivalNs;
    packet.port = port;
    packet.arrivalNs = arrivalNs;
    insertByArrival(pending, packet);
    // The next packet starts no earlier than the earliest free port, and arrives at least minWireNs later.
    let nextStartNs = portFreeNs[0];
    for (let p = 1; p < ports; p++) nextStartNs = Math.min(nextStartNs, portFreeNs[p]);
    while (pending.length > 0 && pending[0].arrivalNs <= nextStartNs + this.minWireNs) this.released.push(pending.shift()!);
  }

  // The next packet let go; with `ended`, the ones still held too.
  take(ended: boolean): P | undefined {
    if (this.released.length > 0) return this.released.shift();
    return ended ? this.pending.shift() : undefined;
  }
}

function insertByArrival(list: Schedulable[], packet: Schedulable): void {
  let at = list.length;
  while (at > 0 && (list[at - 1].arrivalNs > packet.arrivalNs || (list[at - 1].arrivalNs === packet.arrivalNs && list[at - 1].index > packet.index))) at--;
  list.splice(at, 0, packet);
}
